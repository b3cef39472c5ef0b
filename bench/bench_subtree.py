"""Subtree figures of the administrative tree: one prefix query against a walk down the tree.

Every list in Linli filters by "this node and below". The bench builds a province-sized tree
(10 cities, 100 districts, 1,000 streets, 10,000 communities) and asks, for every district,
how many communities and residents lie below it: with the path-prefix query the selectors use,
and with the obvious alternative, walking down through `parent` one node at a time.
"""

import random
import sys

from common import best_of, prefer_postgres, report, say, throwaway_database


def build_province():
    from org.models import Division

    rng = random.Random(7)
    rows = []

    def add(parent, code, level, depth):
        path = f"{parent.path if parent else ''}{code}/"
        node = Division(code=code, name=code, level=level, parent=parent, path=path, depth=depth,
                        population=rng.randint(1000, 20000) if level == "community" else 0)
        rows.append(node)
        return node

    cities = [add(None, f"35{c:02d}00000000", "city", 0) for c in range(1, 11)]
    Division.objects.bulk_create(cities)
    districts = [add(city, f"{city.code[:4]}{d:02d}000000", "district", 1) for city in cities for d in range(1, 11)]
    Division.objects.bulk_create(districts)
    streets = [add(district, f"{district.code[:6]}{s:03d}000", "street", 2) for district in districts for s in range(1, 11)]
    Division.objects.bulk_create(streets)
    communities = [add(street, f"{street.code[:9]}{k:03d}", "community", 3) for street in streets for k in range(1, 11)]
    Division.objects.bulk_create(communities, batch_size=2000)
    return districts


def by_prefix(districts):
    from org.models import Division
    from org.selectors import subtree_figures

    return [subtree_figures(divisions=Division.objects.subtree(d)).population for d in districts]


def by_walking(districts):
    from org.models import Division

    def walk(node):
        children = list(Division.objects.filter(parent=node))
        if not children:
            return node.population
        return sum(walk(child) for child in children)

    return [walk(d) for d in districts]


def main() -> int:
    prefer_postgres()
    with throwaway_database():
        from django.db import connection

        say(f"database: {connection.vendor}")
        districts = build_province()
        sample = districts[:10]
        assert by_prefix(sample) == by_walking(sample), "the two methods disagree"
        prefix = best_of(lambda: by_prefix(sample), repeat=5) / len(sample)
        walking = best_of(lambda: by_walking(sample), repeat=3) / len(sample)
        ratio = walking / prefix
        say(f"per district: prefix {prefix * 1000:.2f} ms, walking {walking * 1000:.1f} ms")
        ok = report("subtree-figures", prefix * 1000, "ms per district (100 communities)", ratio,
                    "walking the tree", "≥ 20x", ratio >= 20)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
