"""Every ORM model, imported once so the metadata is complete (for Alembic)."""

from app.alarm.models import Alarm, AlarmDelivery, AlarmEvent, AlarmResponder
from app.auth.models import Device, LoginToken, User
from app.notify.models import Notification, TwilioCallback
from app.org.models import Office, Room

__all__ = ["Alarm", "AlarmDelivery", "AlarmEvent", "AlarmResponder", "Device", "LoginToken",
           "Notification", "Office", "Room", "TwilioCallback", "User"]
