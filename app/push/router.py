"""Web Push for any logged-in user, for themself: the server's key and their subscriptions."""

import uuid

from fastapi import APIRouter, Request, Response, status

from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.push import service
from app.push.schemas import PushKeyRead, SubscriptionCreate, SubscriptionRead
from app.push.vapid import vapid_key

router = APIRouter(prefix="/push", tags=["push"])


@router.get("/key", response_model=PushKeyRead)
async def public_key(request: Request, user: CurrentUser) -> dict:
    """The VAPID public key to pass as `applicationServerKey` to `PushManager.subscribe`."""
    return {"public_key": vapid_key(request.app.state.settings).public_key}


@router.post(
    "/subscriptions", response_model=SubscriptionRead, status_code=status.HTTP_201_CREATED,
    responses={200: {"model": SubscriptionRead, "description": "This endpoint was stored before: "
                                                               "the same subscription"},
               409: {"description": "The endpoint is another user's, with other keys"},
               422: {"description": "`push_endpoint_not_allowed`: the endpoint's origin is not "
                                    "in TRYGG_PUSH_ENDPOINTS; `invalid_input`: keys that are "
                                    "not a P-256 point and a 16-byte secret"}},
)
async def subscribe(payload: SubscriptionCreate, request: Request, response: Response,
                    session: SessionDep, user: CurrentUser) -> object:
    """Store the browser's `PushSubscription.toJSON()`: the caller's alarms are pushed to it."""
    subscription, created = await service.subscribe(
        session, user=user, payload=payload,
        allowed=request.app.state.settings.push_endpoints)
    if not created:
        response.status_code = status.HTTP_200_OK
    return subscription


@router.get("/subscriptions", response_model=list[SubscriptionRead])
async def list_subscriptions(session: SessionDep, user: CurrentUser) -> object:
    """The caller's own subscriptions, oldest first."""
    return await service.list_subscriptions(session, user=user)


@router.delete("/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={404: {"description": "No such subscription of the caller's"}})
async def unsubscribe(subscription_id: uuid.UUID, session: SessionDep,
                      user: CurrentUser) -> Response:
    """Stop pushing to this subscription (someone else's is 404, like an unknown one)."""
    await service.unsubscribe(session, user=user, subscription_id=subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
