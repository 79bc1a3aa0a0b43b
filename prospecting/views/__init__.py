"""Blueprints: one per area for pages, plus the JSON API."""


def register_blueprints(app) -> None:
    from prospecting.extensions import csrf
    from prospecting.sandbox import bp as sandbox_bp
    from prospecting.views import accounts
    from prospecting.views import api
    from prospecting.views import contacts
    from prospecting.views import enrichment
    from prospecting.views import finder
    from prospecting.views import jobs
    from prospecting.views import lists
    from prospecting.views import main
    from prospecting.views import members
    from prospecting.views import ops
    from prospecting.views import outreach
    from prospecting.views import prospects
    from prospecting.views import searches
    from prospecting.views import webhooks

    pages = (accounts, members, main, enrichment, jobs, searches, prospects)
    pages += (contacts, lists, outreach, finder, webhooks)
    for module in (*pages, ops):
        app.register_blueprint(module.bp)
    # The token-authenticated API and the fake providers use no session: no CSRF.
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    if app.config["SANDBOX_ENABLED"]:
        csrf.exempt(sandbox_bp)
        app.register_blueprint(sandbox_bp)
