"""EC2 and botocore errors classified into the protocol's reasons (capacity, quota, price, auth, ...)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import botocore.exceptions

from benchhub.providers.sdk.errors import (
    AuthError,
    CapacityError,
    InvalidError,
    NotFoundError,
    PriceError,
    QuotaError,
    TransientError,
)
from benchhub.providers.sdk.vm.errors import ErrorTable

EC2_ERRORS = ErrorTable(
    cloud="AWS",
    exact={
        "InsufficientInstanceCapacity": CapacityError,
        "InsufficientHostCapacity": CapacityError,
        "InsufficientCapacity": CapacityError,
        "InsufficientFreeAddressesInSubnet": CapacityError,
        "Unsupported": CapacityError,  # the type is not offered in this zone
        "SpotMaxPriceTooLow": PriceError,
        "VcpuLimitExceeded": QuotaError,
        "InstanceLimitExceeded": QuotaError,
        "MaxSpotInstanceCountExceeded": QuotaError,
        "ResourceLimitExceeded": QuotaError,
        "SecurityGroupLimitExceeded": QuotaError,
        "KeyPairLimitExceeded": QuotaError,
        "AuthFailure": AuthError,
        "UnauthorizedOperation": AuthError,
        "AccessDenied": AuthError,
        "AccessDeniedException": AuthError,
        "InvalidClientTokenId": AuthError,
        "SignatureDoesNotMatch": AuthError,
        "ExpiredToken": AuthError,
        "RequestExpired": AuthError,
        "OptInRequired": AuthError,
        "Blocked": AuthError,
        "UnrecognizedClientException": AuthError,
        "RequestLimitExceeded": TransientError,
        "Throttling": TransientError,
        "ThrottlingException": TransientError,
        "InternalError": TransientError,
        "InternalFailure": TransientError,
        "ServiceUnavailable": TransientError,
        "Unavailable": TransientError,
        "DependencyViolation": TransientError,
        "IdempotentParameterMismatch": InvalidError,
    },
    prefixes={
        "Invalid": InvalidError,
        "InvalidInstanceID.NotFound": NotFoundError,
        "InvalidKeyPair.NotFound": NotFoundError,
        "InvalidGroup.NotFound": NotFoundError,
        "ParameterNotFound": InvalidError,
        "MissingParameter": InvalidError,
    },
)

_CONNECTION = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectionClosedError,
)
_CREDENTIALS = (
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.PartialCredentialsError,
    botocore.exceptions.ProfileNotFound,
    botocore.exceptions.TokenRetrievalError,
    botocore.exceptions.SSOError,
)


def error_code_of(error: Exception) -> str:
    """The AWS error code of a botocore ClientError (empty for anything else)."""
    if isinstance(error, botocore.exceptions.ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


@contextlib.contextmanager
def translated(action: str, **metadata: str) -> Iterator[None]:
    """Run AWS calls, turning botocore's exceptions into ProviderErrors that say what was being done."""
    try:
        yield
    except botocore.exceptions.ClientError as error:
        message = str(error.response.get("Error", {}).get("Message", error))
        raise EC2_ERRORS.classify(error_code_of(error), f"{action}: {message}", **metadata) from None
    except _CREDENTIALS as error:
        raise AuthError(
            f"AWS: {action}: no usable credentials ({error}); configure boto3's standard chain "
            "(environment, shared config/credentials file with `profile`, SSO or an instance role)",
            **metadata,
        ) from None
    except _CONNECTION as error:
        raise TransientError(f"AWS: {action}: {error}", **metadata) from None
