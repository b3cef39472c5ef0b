"""Matching Chinese text: character n-grams weighted by TF-IDF, compared by cosine similarity.

Chinese has no spaces between words, so splitting on whitespace finds nothing to compare.
Rather than a word segmenter with its dictionary, text is cut into overlapping character
bigrams (and single characters, weighted low) inside each run of Han characters; Latin letters
and digits form words. "老年助餐" and "长者食堂助餐服务" then share "助餐"; "儿童书画班" and
"少儿书画培训" share "书画". Full-width forms are folded to half-width, letters to lower case,
punctuation dropped. TF-IDF over the texts being compared lets rare shared bigrams ("助浴")
count for more than common ones ("服务").
"""

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[a-z0-9]+")
# Characters too common in names of services to say anything on their own.
STOP_CHARS = set("的了和与及或等在是为之服务社区中心")
UNIGRAM_WEIGHT = 0.3


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def tokens(text: str) -> Counter:
    """The text's n-grams with their counts: Han bigrams, Han characters (lightly), Latin words."""
    text = normalise(text)
    found: Counter = Counter()
    for run in HAN.findall(text):
        for i in range(len(run) - 1):
            found[run[i:i + 2]] += 1
        for char in run:
            if char not in STOP_CHARS:
                found[char] += UNIGRAM_WEIGHT
    for word in WORD.findall(text):
        found[word] += 1
    return found


class Corpus:
    """Texts to be compared with each other, with the document frequency of their n-grams."""

    def __init__(self, texts: Iterable[str]):
        self.docs = [tokens(t) for t in texts]
        frequency: Counter = Counter()
        for doc in self.docs:
            frequency.update(set(doc))
        n = len(self.docs) or 1
        self.idf = {term: math.log((1 + n) / (1 + df)) + 1 for term, df in frequency.items()}
        self.default_idf = math.log(1 + n) + 1
        self.vectors = [self.vector(doc) for doc in self.docs]

    def vector(self, doc: Counter) -> dict[str, float]:
        weights = {term: count * self.idf.get(term, self.default_idf) for term, count in doc.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {term: w / norm for term, w in weights.items()}

    def similarity(self, query: str, index: int) -> float:
        """Cosine similarity (0..1) of ``query`` with the ``index``-th text."""
        q = self.vector(tokens(query))
        doc = self.vectors[index]
        return sum(w * doc.get(term, 0.0) for term, w in q.items())

    def ranked(self, query: str) -> list[tuple[int, float]]:
        """(index, similarity) of every text, most similar first."""
        q = self.vector(tokens(query))
        scores = [(i, sum(w * doc.get(term, 0.0) for term, w in q.items())) for i, doc in enumerate(self.vectors)]
        return sorted(scores, key=lambda pair: (-pair[1], pair[0]))


def similarity(a: str, b: str) -> float:
    """How alike two texts are (0..1), weighting n-grams by how rare they are between the two."""
    return Corpus([b]).similarity(a, 0)
