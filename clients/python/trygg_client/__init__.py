"""A toolkit-free client for the Trygg panic alarm service."""

from trygg_client.api import Api, ApiError
from trygg_client.client import TryggClient
from trygg_client.config import ClientConfig, client_home
from trygg_client.connection import Protection, Readiness
from trygg_client.outbox import RaiseState, RaiseStatus

__all__ = ["Api", "ApiError", "ClientConfig", "Protection", "RaiseState", "RaiseStatus", "Readiness",
           "TryggClient", "client_home"]
