"""The member list of the connected cluster and membership listeners.

:class:`ClusterService` owns the member list. The cluster view listener feeds it (:meth:`handle_members_view`);
it applies a view only when its version is newer (or after :meth:`reset`), computes who joined and who left, and
tells the membership listeners (``member_added(event)`` / ``member_removed(event)``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from hazelcast.protocol.codecs.custom import MemberInfo

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MembershipEvent:
    """A member joined or left; ``members`` is the member list after the change."""

    member: MemberInfo
    members: Tuple[MemberInfo, ...]


MembershipCallback = Callable[[MembershipEvent], None]


class ClusterService:
    """Members of the cluster as last reported, and membership listeners."""

    def __init__(self) -> None:
        self._members: Dict[uuid.UUID, MemberInfo] = {}
        self._version = -1
        self._listeners: Dict[int, Tuple[Optional[MembershipCallback], Optional[MembershipCallback]]] = {}
        self._ids = itertools.count(1)
        self._first_view: Optional[asyncio.Event] = None

    @property
    def members(self) -> List[MemberInfo]:
        """The current member list (in the cluster's order)."""
        return list(self._members.values())

    @property
    def member_list_version(self) -> int:
        """Version of the applied member list (-1 before the first)."""
        return self._version

    def get_member(self, member_uuid: uuid.UUID) -> Optional[MemberInfo]:
        """The member with ``member_uuid``, or ``None``."""
        return self._members.get(member_uuid)

    def add_membership_listener(
        self,
        member_added: Optional[MembershipCallback] = None,
        member_removed: Optional[MembershipCallback] = None,
        fire_for_existing: bool = False,
    ) -> int:
        """Register callbacks; returns a registration id for :meth:`remove_membership_listener`. With
        ``fire_for_existing``, ``member_added`` is called at once for every current member."""
        registration = next(self._ids)
        self._listeners[registration] = (member_added, member_removed)
        if fire_for_existing and member_added is not None:
            members = tuple(self._members.values())
            for member in members:
                self._call(member_added, MembershipEvent(member, members))
        return registration

    def remove_membership_listener(self, registration: int) -> bool:
        """Unregister; ``False`` if the id is unknown."""
        return self._listeners.pop(registration, None) is not None

    # -- the official client's names (callbacks get the MemberInfo) ---------------------------------------------

    def get_members(self) -> List[MemberInfo]:
        """The current member list (as :attr:`members`)."""
        return self.members

    def add_listener(
        self,
        member_added: Optional[Callable[[MemberInfo], None]] = None,
        member_removed: Optional[Callable[[MemberInfo], None]] = None,
        fire_for_existing: bool = False,
    ) -> str:
        """Register ``member_added(member)`` / ``member_removed(member)``; returns a registration id (a string) for
        :meth:`remove_listener`. With ``fire_for_existing``, ``member_added`` is called at once for every member."""
        added = (lambda event: member_added(event.member)) if member_added is not None else None
        removed = (lambda event: member_removed(event.member)) if member_removed is not None else None
        return str(self.add_membership_listener(added, removed, fire_for_existing))

    def remove_listener(self, registration_id: str) -> bool:
        """Unregister a listener added with :meth:`add_listener`; ``False`` if the id is unknown."""
        try:
            return self.remove_membership_listener(int(registration_id))
        except (TypeError, ValueError):
            return False

    def handle_members_view(self, version: int, members: Sequence[MemberInfo]) -> bool:
        """Apply a member list if ``version`` is newer than the current one; fires removed, then added events.
        Returns whether it was applied."""
        if version <= self._version:
            return False
        old = self._members
        new = {m.uuid: m for m in members}
        self._members = new
        self._version = version
        snapshot = tuple(new.values())
        removed = [m for u, m in old.items() if u not in new]
        added = [m for u, m in new.items() if u not in old]
        _logger.info("members (version %d): %s", version, ", ".join(str(m) for m in snapshot))
        for member in removed:
            self._fire(1, MembershipEvent(member, snapshot))
        for member in added:
            self._fire(0, MembershipEvent(member, snapshot))
        if self._first_view is not None:
            self._first_view.set()
        return True

    def reset(self) -> None:
        """Accept the next member list whatever its version (the client connected to a new cluster). The current
        list stays until then, so the difference still yields the right events."""
        self._version = -1
        if self._first_view is not None:
            self._first_view.clear()

    async def wait_initial_member_list(self, timeout: Optional[float] = None) -> None:
        """Wait until a member list has been applied."""
        if self._version >= 0:
            return
        if self._first_view is None:
            self._first_view = asyncio.Event()
        async with asyncio.timeout(timeout):
            await self._first_view.wait()

    def _fire(self, which: int, event: MembershipEvent) -> None:
        for callbacks in list(self._listeners.values()):
            callback = callbacks[which]
            if callback is not None:
                self._call(callback, event)

    @staticmethod
    def _call(callback: MembershipCallback, event: MembershipEvent) -> None:
        try:
            callback(event)
        except Exception:
            _logger.exception("membership listener failed")
