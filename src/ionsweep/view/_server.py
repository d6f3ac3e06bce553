"""Serve the explorer of one store on a local port (Panel's Bokeh server)."""

from __future__ import annotations

import errno
import socket
import sys

from ionsweep.view._store import ViewError, open_store

__all__ = ["check_port", "serve"]


def check_port(host: str, port: int) -> None:
    """Refuse a port another program listens on (before any work is done).

    Raises
    ------
    ViewError
        The port is in use, or the host is not an address of this machine.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ViewError(
                    f"port {port} on {host} is in use; choose another with --port"
                ) from None
            raise ViewError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


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
    is listening. Every browser session gets its own controls over one shared, lazily
    opened Dataset; nothing is written anywhere.

    The first page is prepared before the address is printed: one throwaway session warms
    the imports and Panel's page rendering, and the explorer of the first session is built
    ahead (its first slice read and its figures made), so the first browser to connect
    waits only for the page to be rendered and sent.
    """
    ds = open_store(path, allow_incomplete=allow_incomplete)
    check_port(host, port)

    import panel as pn

    from ionsweep.view._app import Explorer

    ready: list = []  # explorers built ahead, each used by one session

    def app():
        return (ready.pop() if ready else Explorer(ds)).layout

    origins = [f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
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
        )
    except OSError as exc:
        raise ViewError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    ready.append(Explorer(ds))
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    print(f"ionsweep view: serving {path} at {url} (Ctrl-C to stop)", flush=True)
    if show:
        import webbrowser

        webbrowser.open(url)
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        print("ionsweep view: stopped", file=sys.stderr)
    finally:
        server.stop()
