"""Every ORM model, imported once so the metadata is complete (for Alembic)."""

from app.alarm.models import Alarm, AlarmDelivery, AlarmEvent, AlarmResponder
from app.audit.models import AuditEntry
from app.auth.models import Device, LoginAttempt, LoginToken, User
from app.incident.models import Debrief, FollowUpTask, Incident
from app.notify.models import Notification, TwilioCallback
from app.org.models import Office, Room
from app.privacy.models import JobRun
from app.push.models import PushMessage, PushSubscription
from app.stats.models import ReadinessPolicy
from app.visit.models import Visit

__all__ = ["Alarm", "AlarmDelivery", "AlarmEvent", "AlarmResponder", "AuditEntry", "Debrief", "Device",
           "FollowUpTask", "Incident", "JobRun", "LoginAttempt", "LoginToken", "Notification", "Office",
           "PushMessage", "PushSubscription", "ReadinessPolicy", "Room", "TwilioCallback", "User",
           "Visit"]
