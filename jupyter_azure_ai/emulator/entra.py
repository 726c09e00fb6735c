"""Microsoft Entra ID stand-in: OIDC discovery, instance discovery, token endpoint.

Error bodies carry the real AADSTS codes so azure-identity raises the same
``ClientAuthenticationError`` text it would against login.microsoftonline.com.
"""

from __future__ import annotations

import hmac
import time
import uuid
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .state import EmulatorState

COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
_MSAL_RESERVED_SCOPES = {"openid", "profile", "offline_access"}


def _base_url(request: Request) -> str:
    return f"https://{request.headers.get('host', 'localhost')}"


def _aad_error(request: Request, status: int, error: str, code: int, text: str) -> Response:
    trace = str(uuid.uuid4())
    correlation = request.headers.get("client-request-id") or str(uuid.uuid4())
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    description = (
        f"AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {stamp}"
    )
    body = {
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"{_base_url(request)}/error?code={code}",
    }
    return JSONResponse(body, status)


def _tenant_known(state: EmulatorState, tenant: str) -> bool:
    return tenant.lower() == state.tenant_id.lower() or tenant.startswith("fault-down")


def _unknown_tenant(request: Request, tenant: str) -> Response:
    text = (
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
        "are signing into the correct cloud."
    )
    return _aad_error(request, 400, "invalid_request", 90002, text)


def openid_configuration(state: EmulatorState, request: Request) -> Response:
    tenant = request.path_params["tenant"]
    if not _tenant_known(state, tenant):
        return _unknown_tenant(request, tenant)
    base = f"{_base_url(request)}/{tenant}"
    return JSONResponse(
        {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "token id_token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "emulator.local",
        }
    )


def instance_discovery(request: Request) -> Response:
    """The answer MSAL expects from ``/common/discovery/instance``."""
    authorize = urlsplit(request.query_params.get("authorization_endpoint", ""))
    tenant = authorize.path.strip("/").split("/")[0] or "common"
    host = request.headers.get("host", "localhost")
    return JSONResponse(
        {
            "tenant_discovery_endpoint": (
                f"https://{host}/{tenant}/v2.0/.well-known/openid-configuration"
            ),
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }
    )


def _valid_scope(scope: str) -> bool:
    scopes = [s for s in scope.split() if s not in _MSAL_RESERVED_SCOPES]
    if len(scopes) != 1:
        return False
    (only,) = scopes
    return only == COGNITIVE_SCOPE or (
        only.startswith("api://") and only.endswith("/.default") and len(only) > 15
    )


async def token(state: EmulatorState, request: Request) -> Response:
    state.stats.token_requests += 1
    tenant = request.path_params["tenant"]
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    if state.token_endpoint_down or tenant.startswith("fault-down"):
        text = "A transient error has occurred. Please try again."
        return _aad_error(request, 503, "temporarily_unavailable", 90033, text)
    if not _tenant_known(state, tenant):
        return _unknown_tenant(request, tenant)
    if form.get("grant_type") != "client_credentials":
        text = "The app requested an unsupported grant type; use client_credentials."
        return _aad_error(request, 400, "unsupported_grant_type", 70003, text)
    client = form.get("client_id", "")
    if client.lower() != state.client_id.lower():
        text = (
            f"Application with identifier '{client}' was not found in the directory "
            f"'{tenant}'. You may have sent your authentication request to the wrong tenant."
        )
        return _aad_error(request, 400, "unauthorized_client", 700016, text)
    secret = form.get("client_secret")
    if secret is None:
        text = "'client_assertion', 'client_secret' or 'request' is required."
        return _aad_error(request, 401, "invalid_client", 7000216, text)
    if not hmac.compare_digest(secret.encode(), state.client_secret.encode()):
        text = (
            "Invalid client secret provided. Ensure the secret being sent in the request is "
            f"the client secret value, not the client secret ID, for a secret added to app "
            f"'{state.client_id}'."
        )
        return _aad_error(request, 401, "invalid_client", 7000215, text)
    scope = form.get("scope", "")
    if not _valid_scope(scope):
        text = (
            f"The provided value for scope {scope} is not valid. Client credential flows must "
            "have a scope value with /.default suffixed to the resource identifier."
        )
        return _aad_error(request, 400, "invalid_scope", 1002012, text)
    audience = next(s for s in scope.split() if s not in _MSAL_RESERVED_SCOPES)
    token = state.issue_token(audience.removesuffix("/.default"))
    lifetime = state.token_lifetime
    return JSONResponse(
        {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }
    )
