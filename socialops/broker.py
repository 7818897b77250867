"""kombu transports with the defects that took workers down fixed, registered by their
dotted paths as CELERY_BROKER_TRANSPORT: the embedded broker (no REDIS_URL, `Transport`)
and Redis (`RedisTransport`, at the end).

The embedded broker is kombu's filesystem transport, made safe for several processes.

kombu's own transport creates each message file under its final name and then writes it,
and a worker takes a message by moving it to the system's temporary folder (a copy when
that is another file system) and parsing it: a worker that listed the folder between the
two read half a message (`JSONDecodeError: Expecting value`), died of it, and with it
`make run`'s whole process runner. Here:

1. A message is written to a hidden temporary file in the queue folder and renamed into
   place (rename(2) in one folder is atomic): a reader sees all of it or nothing.
2. A worker claims a message by renaming it, in the same folder, to a hidden name of its
   own: of two workers listing the same file, exactly one rename succeeds.
3. A message that still cannot be read (written by another program, a disk error) is
   logged and moved to `<queue folder>/unreadable/`, and the worker takes the next one.
4. An exchange's binding table is created the same way (a temporary file linked into
   place), so it is never read empty while its first writer is still writing it.

Names of temporary and claimed files start with a dot and end in something other than
`.msg`, so kombu's counting and purging (which match `*.<queue>.msg`) never see them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from pathlib import Path

import redis
from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.transport import redis as redis_transport
from kombu.transport.virtual import Empty
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)

UNREADABLE_FOLDER = "unreadable"


def _write_atomically(folder: str | Path, name: str, data: bytes, *, replace: bool) -> bool:
    """Write `data` to `folder/name` so that no reader sees part of it. With replace=False,
    an existing file is kept and False returned."""
    temporary = os.path.join(folder, f".{name}.{uuid.uuid4().hex}.tmp")
    final = os.path.join(folder, name)
    try:
        with open(temporary, "wb") as f:
            f.write(data)
        if replace:
            os.replace(temporary, final)
            return True
        try:
            os.link(temporary, final)  # fails if it exists: never overwrites another writer
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        try:
            _write_atomically(
                self.data_folder_out, name, str_to_bytes(dumps(payload)), replace=True
            )
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to {self.data_folder_out}") from exc

    def _get(self, queue):
        wanted = f"{queue}.msg"
        folder = self.data_folder_in
        for name in sorted(os.listdir(folder)):
            if name.partition(".")[2] != wanted:
                continue
            claimed = os.path.join(folder, f".{name}.{os.getpid()}.claimed")
            try:
                os.rename(os.path.join(folder, name), claimed)
            except FileNotFoundError:
                continue  # another worker took it
            try:
                with open(claimed, "rb") as f:
                    payload = f.read()
            except OSError as exc:
                raise ChannelError(f"Cannot read {claimed!r} from the queue") from exc
            try:
                message = loads(bytes_to_str(payload))
            except ValueError:
                self._set_aside(claimed, name)
                continue
            os.unlink(claimed)
            return message
        raise Empty()

    def _set_aside(self, claimed: str, name: str) -> None:
        aside = Path(self.data_folder_in) / UNREADABLE_FOLDER
        aside.mkdir(exist_ok=True)
        os.replace(claimed, aside / name)
        log.error("broker: an unreadable message was set aside in %s", aside / name)

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        file = self._exchange_file(exchange)
        if not file.exists():
            self.control_folder.mkdir(exist_ok=True)
            row = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
            data = str_to_bytes(dumps([row]))
            try:
                if _write_atomically(self.control_folder, file.name, data, replace=False):
                    return
            except OSError as exc:
                raise ChannelError(f"Cannot open {file}") from exc
        # It exists: kombu adds the binding in place, under an exclusive lock that
        # readers wait for.
        super()._queue_bind(exchange, routing_key, pattern, queue)


class Transport(filesystem.Transport):
    Channel = Channel


# --- Redis ---------------------------------------------------------------------------------
# When a worker loses Redis, Celery's consumer first "collects" the connection (kombu
# clears the transport's link back to its connection) and then closes it; closing the
# default channel gives back the messages it holds unacknowledged (acks_late: any task
# running), and giving them back opens a new Redis client from that cleared link:
# AttributeError 'NoneType' object has no attribute 'hostname'. Not a connection error,
# so Celery does not retry: "Unrecoverable error", the worker exits. (1 outage in 4 to 7
# with tasks flowing; never when nothing was unacknowledged.) Here a channel whose
# connection is gone raises the connection error Celery expects and ignores while closing:
# the worker reconnects, and Redis gives the unacknowledged messages back to a worker
# after the visibility timeout, as for a worker that was killed.


class RedisChannel(redis_transport.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            raise redis.ConnectionError("the broker connection was closed")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(redis_transport.Transport):
    Channel = RedisChannel
