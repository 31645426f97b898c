"""Connecting to Neo4j: a verified driver for the main or the reader identity, built from settings, with
errors that name the server and the user but never the password; and the errors that mean the server is gone.
Used by the store (graph/neo4j_store.py) and the console's replica (graph/neo4j_console.py)."""

from __future__ import annotations

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import (
    AuthError,
    ConfigurationError,
    DatabaseUnavailable,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from graph.errors import StoreUnavailableError
from graph.settings import Settings

# The server or its database is gone (stopped, restarting, a lost cluster member): not the query's fault.
GONE = (ServiceUnavailable, SessionExpired, DatabaseUnavailable)


def shown_uri(uri: str) -> str:
    """The URI as messages may show it: any ``user:password@`` part replaced, so no password is ever echoed."""
    scheme, sep, rest = uri.partition("://")
    host = rest.split("/", 1)[0]
    if "@" in host:
        rest = "***@" + rest[len(host.rsplit("@", 1)[0]) + 1 :]
    return f"{scheme}{sep}{rest}"


def connect(settings: Settings, *, uri: str | None = None, reader: bool = False) -> neo4j.Driver:
    """A verified driver for NEO4J_URI (or ``uri``) as the main identity, or as the reader identity
    (NEO4J_READER_USERNAME, when set); a clear StoreUnavailableError if it cannot be used.

    The password is never part of a message: errors name the URI (without any user info) and the user only.
    """
    uri = uri or settings.neo4j_uri
    if not uri:
        raise StoreUnavailableError("未设置 NEO4J_URI / NEO4J_URI is not set")
    user, password = settings.neo4j_username, settings.neo4j_password
    if reader and settings.neo4j_reader_username:
        user, password = settings.neo4j_reader_username, settings.neo4j_reader_password
    shown = shown_uri(uri)
    if "@" in uri.partition("://")[2].split("/", 1)[0]:
        raise StoreUnavailableError(
            f"NEO4J_URI {shown} 含有用户名或密码，请改用 NEO4J_USERNAME 与 NEO4J_PASSWORD / NEO4J_URI {shown} holds a "
            "user name or password: put them in NEO4J_USERNAME and NEO4J_PASSWORD, never in the URI"
        )
    try:
        driver = GraphDatabase.driver(
            uri,
            auth=(user, password.reveal()),
            max_transaction_retry_time=settings.neo4j_retry_s,
            connection_timeout=10.0,
            # Schema-driven reads name every ontology property, present or not; the server's
            # "property does not exist" notices about them are noise.
            notifications_min_severity="OFF",
        )
    except (ConfigurationError, ValueError):  # the driver's own message repeats the URI: not shown
        raise StoreUnavailableError(
            f"NEO4J_URI {shown} 不是有效的 Neo4j 地址（例如 bolt://host:7687、neo4j+s://host） / NEO4J_URI {shown} "
            "is not a Neo4j address (for example bolt://host:7687 or neo4j+s://host)"
        ) from None
    try:
        driver.verify_connectivity()
    except AuthError:
        driver.close()
        raise StoreUnavailableError(
            f"Neo4j {shown} 拒绝了用户 {user!r} 的凭据 / Neo4j at {shown} refused the credentials of user {user!r}"
        ) from None
    except (ServiceUnavailable, SessionExpired, OSError) as exc:
        driver.close()
        raise StoreUnavailableError(
            f"无法连接 Neo4j {shown} / Neo4j at {shown} cannot be reached: {type(exc).__name__}"
        ) from None
    except Neo4jError as exc:
        driver.close()
        if "AuthenticationRateLimit" in (exc.code or ""):
            raise StoreUnavailableError(
                f"Neo4j {shown} 因多次密码错误暂时拒绝登录，请稍候几秒并检查密码 / Neo4j at {shown} refuses logins "
                f"for a while after wrong passwords (AuthenticationRateLimit): wait a few seconds and check the "
                f"password of user {user!r}"
            ) from None
        raise StoreUnavailableError(
            f"Neo4j {shown} 拒绝了连接 / Neo4j at {shown} refused the connection: {exc.code}"
        ) from None
    return driver
