"""Saved column-mapping profiles of a workspace (name -> the profile as a dict)."""

from __future__ import annotations

import json
from typing import Any

from desktop.domain.errors import InputError
from desktop.store.db import Database
from desktop.store.records import now_iso


class Profiles:
    def __init__(self, db: Database):
        self._db = db

    def save(self, name: str, profile: Any) -> None:
        """Save a mapping profile (a dict, or desktop.ingest.MappingProfile) under ``name``."""
        self._db.require_writable("save the mapping profile")
        if hasattr(profile, "to_dict"):
            profile = profile.to_dict()
        name = " ".join(str(name).split())
        if not name:
            raise InputError("a mapping profile needs a name", column="name")
        data = json.dumps(profile, sort_keys=True)
        with self._db.write("save the mapping profile") as conn:
            conn.execute("INSERT INTO profiles(name, data, saved_at) VALUES (?,?,?) ON CONFLICT(name) "
                         "DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at",
                         (name, data, now_iso()))

    def all(self) -> dict[str, dict]:
        return {n: json.loads(d) for n, d in self._db.read("SELECT name, data FROM profiles ORDER BY name")}

    def resolve(self, profile: Any) -> tuple[str | None, dict | None]:
        """A saved profile's name, a profile dict or a MappingProfile -> (name, dict)."""
        if profile is None:
            return None, None
        if isinstance(profile, str):
            saved = self.all()
            if profile not in saved:
                raise InputError(f"no saved mapping profile named {profile!r}", column="profile")
            return profile, saved[profile]
        if hasattr(profile, "to_dict"):
            profile = profile.to_dict()
        data = dict(profile)
        return data.get("name"), data
