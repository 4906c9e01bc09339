"""Airflow's own auth for netargus's services outside Airflow (the ingestion service's admin API).

A caller presents a JWT that Airflow's API server issued (``POST /auth/token``, or the UI's
session token); it is checked by the configured auth manager exactly as the API server checks
it (signature, expiry, revocation), and the user it names must be allowed to edit Airflow
Connections: ingestion tokens are credentials, so the right that manages credentials manages
them.
"""

from __future__ import annotations


async def connection_editor(jwt: str) -> str:
    """The name of the Airflow user ``jwt`` names, when that user may edit Connections.

    Raises:
        PermissionError: the JWT is not valid (forged, expired, revoked), or its user may not
            edit Connections (the message says which; never the JWT).
    """
    from airflow.api_fastapi.app import create_auth_manager
    from jwt import InvalidTokenError

    manager = create_auth_manager()
    try:
        user = await manager.get_user_from_token(jwt)
    except InvalidTokenError as exc:
        raise PermissionError(f"not a valid Airflow token ({type(exc).__name__})") from None
    if not manager.is_authorized_connection(method="PUT", user=user):
        raise PermissionError(f"Airflow user {user.get_name()!r} may not edit Connections")
    return str(user.get_name())
