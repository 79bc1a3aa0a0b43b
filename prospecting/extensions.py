"""Import-safe extension singletons, bound to an app in create_app()."""

from pathlib import Path

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from huey import Huey
from huey.storage import MemoryStorage
from huey.storage import RedisStorage
from huey.storage import SqliteStorage
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()

# Decorators need the instance at import time; create_app() attaches the real storage
# (Redis, SQLite or memory) so that importing this module touches nothing.
huey = Huey("prospecting", results=False, storage_class=MemoryStorage)

STORAGES = {"redis": RedisStorage, "sqlite": SqliteStorage, "memory": MemoryStorage}


def init_huey(app) -> None:
    """Point the shared Huey instance at the storage the app's config names."""
    kind = app.config["HUEY_STORAGE"]
    kwargs = {}
    if kind == "redis":
        kwargs = {"url": app.config["REDIS_URL"]}
    elif kind == "sqlite":
        path = Path(app.config["HUEY_SQLITE_PATH"])
        path.parent.mkdir(parents=True, exist_ok=True)
        kwargs = {"filename": str(path), "timeout": 30}
    huey.storage_class = STORAGES[kind]
    huey.storage_kwargs = kwargs
    huey._immediate = app.config["HUEY_IMMEDIATE"]
    huey.storage = huey.create_storage()
    huey.flask_app = app
