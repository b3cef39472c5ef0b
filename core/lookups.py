"""The ``under`` lookup: "this path and everything below it", fast on every database.

Tree paths are codes joined by "/" (digits, "-" and "/"), so everything below a path P sorts
between P and P + "~". On SQLite that range uses the ordinary index (SQLite's LIKE cannot use
it); on PostgreSQL the prefix LIKE uses the ``varchar_pattern_ops`` index (a range would follow
the database's locale collation, which is not byte order).
"""

from django.db.models import CharField, Lookup
from django.db.models.lookups import StartsWith

# Greater than every character a path may contain (digits, "-", "/").
PATH_CEILING = "~"


@CharField.register_lookup
class Under(Lookup):
    lookup_name = "under"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"({lhs} >= {rhs} AND {lhs} < {rhs} || %s)", [*lhs_params, *rhs_params, *lhs_params, *rhs_params, PATH_CEILING]

    def as_postgresql(self, compiler, connection):
        return StartsWith(self.lhs, self.rhs).as_sql(compiler, connection)
