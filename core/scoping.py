"""How a model says where its rows sit in the administrative tree.

Each model whose rows are scoped sets ``scope = ScopeFields(...)``: the lookup from the model
to the ``Division`` it belongs to, to the ``Organisation`` that owns it, and to the user who
owns it. The permission module (``accounts.permissions``) turns a user's roles into filters
with these lookups, so no view ever writes a scope filter by hand.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ScopeFields:
    # Lookup to the row's Division, e.g. "division" or "room__site__division"; "self" for Division.
    # Several lookups (a tuple) mean the row belongs wherever any of them points.
    division: str | tuple[str, ...] | None = None
    # Lookup to the owning Organisation, e.g. "organisation" or "agreement__operator".
    organisation: str | None = None
    # Lookup to the owning user (a resident's own records), e.g. "resident".
    owner: str | None = None
    # Also match rows attached to a division above the scope root (a city-wide charity is
    # visible to a district supervisor of that city).
    include_ancestors: bool = False
    # The division lookup crosses a many-to-many relation: filter through a subquery.
    many: bool = False

    def division_paths(self) -> list[str]:
        """The lookups to the ``path`` of the row's division(s)."""
        lookups = self.division if isinstance(self.division, tuple) else (self.division,)
        return ["path" if lookup == "self" else f"{lookup}__path" for lookup in lookups]


def ancestor_paths(path: str) -> list[str]:
    """The paths strictly above ``path`` ("a/b/c/" -> ["a/", "a/b/"])."""
    parts = path.rstrip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts) - 1)]
