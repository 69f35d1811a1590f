"""The CARE store: cursors, ticket snapshots, the action log and the survey outbox.

    store = Store.open("sqlite:///care.db")   # migrates to head on the way in

SQLite by default, PostgreSQL for production and several workers.
"""

from care.store.actions import ActionRecord
from care.store.answers import AnswerRecord
from care.store.cursors import CursorInfo
from care.store.database import StoreError
from care.store.events import StoredErrorEvent
from care.store.schema import ActionState, SurveyState
from care.store.store import Store
from care.store.surveys import SurveyRecord, SurveyRequest
from care.store.waits import WaitObservation

__all__ = [
    "ActionRecord",
    "ActionState",
    "AnswerRecord",
    "CursorInfo",
    "Store",
    "StoreError",
    "StoredErrorEvent",
    "SurveyRecord",
    "SurveyRequest",
    "SurveyState",
    "WaitObservation",
]
