"""Serve the explorer of one store on a local port (Panel's Bokeh server).

On a loopback address (127.0.0.0/8, ::1, ``localhost``) the page is open to this machine.
Any other address warns on stderr and puts the page and its websocket behind Panel's
login page (its basic auth, with a cookie signed by a key made for this run): the password
is ``IONSWEEP_VIEW_PASSWORD`` when set (which also guards a loopback server), else a random
one printed once with the address.
"""

from __future__ import annotations

import errno
import hmac
import ipaddress
import os
import secrets
import signal
import socket
import sys

from ionsweep._errors import StoreError
from ionsweep.explorer._store import open_store

__all__ = ["PASSWORD_ENV", "access_password", "check_port", "is_loopback", "serve"]

#: Environment variable holding the password of the explorer (never a command-line flag:
#: other users of the machine can read command lines).
PASSWORD_ENV = "IONSWEEP_VIEW_PASSWORD"
_WILDCARD = ("", "0.0.0.0", "::")


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` serves this machine only.

    True for 127.0.0.0/8, ::1 and ``localhost``, and for a name that resolves to loopback
    addresses only; False for anything else, including a name that does not resolve.

    >>> is_loopback("127.0.0.1"), is_loopback("127.1.2.3"), is_loopback("::1")
    (True, True, True)
    >>> is_loopback("0.0.0.0"), is_loopback("::"), is_loopback("192.168.1.5")
    (False, False, False)
    """
    name = host.strip().removeprefix("[").removesuffix("]")
    if name.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    if not name:
        return False
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    addrs = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    return bool(addrs) and all(a.is_loopback for a in addrs)


def access_password(local: bool, environ=None) -> tuple[str | None, bool]:
    """The password that guards a server, and whether it was made here.

    ``IONSWEEP_VIEW_PASSWORD`` when set and not empty (on any address); else None on a
    loopback address (``local``); else a random URL-safe password of 128 bits.
    """
    given = (os.environ if environ is None else environ).get(PASSWORD_ENV)
    if given:
        return given, False
    if local:
        return None, False
    return secrets.token_urlsafe(16), True


class _Password:
    """The secret handed to Panel's basic auth, which checks ``password == secret``.

    Compared in constant time; not a ``str``, so Panel never takes it for the path of a
    password file (it reads a ``str`` naming an existing file as one).
    """

    __hash__ = None  # type: ignore[assignment]  # compared by value: unhashable

    def __init__(self, secret: str):
        self._secret = secret.encode("utf-8", "surrogatepass")

    def __eq__(self, other) -> bool:
        if not isinstance(other, str):
            return False
        return hmac.compare_digest(other.encode("utf-8", "surrogatepass"), self._secret)

    def __repr__(self) -> str:
        return "<password>"


def check_port(host: str, port: int) -> None:
    """Refuse a port another program listens on (before any work is done).

    Raises
    ------
    OSError
        The port is in use, or the host is not an address of this machine.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OSError(
                    f"port {port} on {host} is in use; choose another with --port"
                ) from None
            raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _password(host: str) -> tuple[str | None, bool]:
    """:func:`access_password` for ``host``, warning on stderr when it is not loopback."""
    local = is_loopback(host)
    if not local:
        print(
            f"ionsweep view: warning: {host or '(all addresses)'} is not a loopback address: "
            "other machines can reach this server; it asks for a password, sent over plain "
            "http (unencrypted)",
            file=sys.stderr,
            flush=True,
        )
    return access_password(local)


def _stop_on_sigterm(loop):
    """Let SIGTERM end the server's loop (the handler it replaces, or None off the main
    thread); a handler that raises would land inside whichever callback runs."""
    try:
        return signal.signal(
            signal.SIGTERM, lambda *_: loop.asyncio_loop.call_soon_threadsafe(loop.stop)
        )
    except ValueError:  # not the main thread: no signal handlers
        return None


def serve(
    path,
    *,
    port: int = 5006,
    host: str = "127.0.0.1",
    show: bool = True,
    allow_incomplete: bool = False,
) -> None:
    """Serve the explorer of the store at ``path`` until interrupted (Ctrl-C).

    Prints ``ionsweep view: serving STORE at http://HOST:PORT/`` on stdout once the port
    is listening (with the password to log in with, when there is one: see the module's
    notes). Every browser session gets its own controls over one shared, lazily opened
    Dataset; nothing is written anywhere.

    The first page is prepared before the address is printed: one throwaway session warms
    the imports and Panel's page rendering, and the explorer of the first session is built
    ahead (its first slice read and its figures made), so the first browser to connect
    waits only for the page to be rendered and sent.
    """
    ds = open_store(path, allow_incomplete=allow_incomplete)
    check_port(host, port)
    password, made = _password(host)

    import panel as pn

    from ionsweep.explorer._app import Explorer

    ready: list = []  # explorers built ahead, each used by one session

    def app():
        return (ready.pop() if ready else Explorer(ds)).layout

    name = socket.gethostname() if host in _WILDCARD else host
    origins = [f"{name}:{port}", f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    auth = {}
    if password is not None:  # Panel's login page; its cookie signed with a key of this run
        auth = {"basic_auth": _Password(password), "cookie_secret": secrets.token_urlsafe(32)}
    try:
        server = pn.serve(
            {"/": app},
            port=port,
            address=host,
            show=False,
            start=False,
            title=f"ionsweep view: {ds.attrs.get('title') or path}",
            websocket_origin=origins,
            verbose=False,
            warm=True,
            **auth,
        )
    except StoreError:
        raise
    except OSError as exc:
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    ready.append(Explorer(ds))
    url = f"http://{name if ':' not in name else f'[{name}]'}:{port}/"
    login = ""
    if password is not None:  # printed once, here; a password of the user's is not echoed
        told = password if made else f"in {PASSWORD_ENV}"
        login = f", log in with any user name and the password {told}"
    print(f"ionsweep view: serving {path} at {url}{login} (Ctrl-C to stop)", flush=True)
    if show:
        import webbrowser

        webbrowser.open(url)
    previous = _stop_on_sigterm(server.io_loop)  # as Panel does for SIGINT
    try:
        server.io_loop.start()
        print("ionsweep view: stopped", file=sys.stderr)
    except KeyboardInterrupt:
        print("ionsweep view: stopped", file=sys.stderr)
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
