"""The sync state of companies and contacts (pending, synced, failed): the SQL
condition for each state."""

SYNC_STATES = ("pending", "synced", "failed")


def sync_filter(model, state: str):
    """The SQL condition for a sync state: pending, synced or failed."""
    if state == "failed":
        return model.sync_failed
    pending = model.synced_at.is_(None) | (model.updated_at > model.synced_at)
    if state == "pending":
        return ~model.sync_failed & pending
    return ~model.sync_failed & ~pending
