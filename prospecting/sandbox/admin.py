"""Runtime fault settings for the sandbox, for tests and benchmarks."""

from flask import jsonify
from flask import request

from prospecting.sandbox import bp
from prospecting.sandbox import faults


@bp.get("/_config")
def show_config():
    """The effective sandbox settings."""
    return jsonify(faults.settings())


@bp.put("/_config")
def put_config():
    """Replace the runtime overrides of latency, rate limit and fault rates."""
    values = request.get_json(silent=True)
    if not isinstance(values, dict):
        return jsonify({"error": "Send a JSON object of settings."}), 400
    faults.set_overrides(values)
    return jsonify(faults.settings())
