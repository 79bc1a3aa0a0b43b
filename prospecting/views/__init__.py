"""Blueprints: one per area for pages, plus the JSON API."""


def register_blueprints(app) -> None:
    from prospecting.extensions import csrf
    from prospecting.sandbox import bp as sandbox_bp
    from prospecting.views import accounts
    from prospecting.views import api
    from prospecting.views import enrichment
    from prospecting.views import jobs
    from prospecting.views import main

    for module in (accounts, main, enrichment, jobs):
        app.register_blueprint(module.bp)
    # Token-authenticated JSON API and fake providers take no browser session, so no CSRF.
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    if app.config["SANDBOX_ENABLED"]:
        csrf.exempt(sandbox_bp)
        app.register_blueprint(sandbox_bp)
