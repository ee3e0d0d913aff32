"""The saved, flat-array index of every name form of every item: building it, saving it, restoring it,
and the name lookups resolution is built on.

Stored as flat arrays over one sorted list of names (no Python object per item or per name beyond
the name itself): at a million titles per-name tuples, dicts and arrays cost gigabytes.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from recommender import titles as t
from recommender.matching.normalise import _APOSTROPHES, _item_numbers, loose_form, match_form

# What `TitleIndex.arrays` saves besides the names: plain arrays, and CSR rows (indptr + values).
# INDEX_LAYOUT changes whenever these do, so an index saved by older code is rebuilt, not misread.
INDEX_LAYOUT = 1
_INDEX_ARRAYS = ("gram_keys", "bigram_sizes", "has_whole", "is_head", "franchise_ids")
_INDEX_CSRS = ("words", "bigram_postings", "name_items", "exact", "franchise_members")


@dataclass(frozen=True)
class _Csr:
    """Rows of small non-negative integers in two flat arrays (compressed sparse rows): a million
    rows cost two arrays, not a million tuples."""

    indptr: np.ndarray  # int64, one more than there are rows
    values: np.ndarray  # int32, ascending within each row

    @classmethod
    def from_pairs(cls, rows: np.ndarray, values: np.ndarray, n_rows: int) -> _Csr:
        """The distinct (row, value) pairs given, grouped by row."""
        key = _distinct((np.asarray(rows, dtype=np.int64) << 32) | np.asarray(values, dtype=np.int64))
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(key >> 32, minlength=n_rows), out=indptr[1:])
        return cls(indptr, (key & 0xFFFFFFFF).astype(np.int32))

    def row(self, row: int) -> np.ndarray:
        return self.values[self.indptr[row]:self.indptr[row + 1]]

    def span(self, start: int, stop: int) -> np.ndarray:
        """The values of rows start..stop-1, concatenated (a view)."""
        return self.values[self.indptr[start]:self.indptr[stop]]

    def gather(self, rows: list[int]) -> np.ndarray:
        return np.concatenate([self.row(r) for r in rows]) if rows else np.empty(0, dtype=np.int32)


class _StringArray(Sequence[str]):
    """A sorted list of strings kept as one UTF-8 buffer and offsets: ~2 million names cost their
    bytes, not a Python object each. UTF-8 byte order is code point order, so `bisect` works on it."""

    def __init__(self, strings: Sequence[str]) -> None:
        encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
        self._offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=self._offsets[1:])
        self._buffer = b"".join(encoded)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.offsets": self._offsets, f"{prefix}.buffer": np.frombuffer(self._buffer, dtype=np.uint8)}

    @classmethod
    def from_arrays(cls, offsets: np.ndarray, buffer: np.ndarray) -> _StringArray:
        if (offsets.ndim != 1 or len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(buffer)
                or np.any(np.diff(offsets) < 0)):
            raise ValueError("its names are cut")
        strings = cls([])
        strings._offsets, strings._buffer = offsets.astype(np.int64, copy=False), buffer.tobytes()
        return strings

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._buffer[self._offsets[index]:self._offsets[index + 1]].decode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class _NameTable:
    names: list[str]
    search_items: _Csr
    exact_items: _Csr
    has_whole: np.ndarray
    is_head: np.ndarray
    franchise_ids: np.ndarray


_EXACT, _LOOSE, _HEAD = 0, 1, 2


def _name_table(titles: list[str]) -> _NameTable:
    """Every item's name forms as (name id, item, kind) triples in flat arrays, then grouped by name.

    Kinds: an exact name form (title, English, original, franchise; also a whole loose name), its
    loose form, and the head before a subtitle (a name to search, not an exact name).
    """
    ids: dict[str, int] = {}
    name_ids, name_items, kinds = array("q"), array("q"), array("b")
    franchises: dict[str, int] = {}
    franchise_ids = array("q")

    def add(name: str, item: int, kind: int) -> None:
        name_ids.append(ids.setdefault(name, len(ids)))
        name_items.append(item)
        kinds.append(kind)

    for index, title in enumerate(titles):
        english, original = t.split_alias(title)
        franchise = match_form(t.franchise_key(_APOSTROPHES.sub("", title)))
        franchise_ids.append(franchises.setdefault(franchise, len(franchises)))
        title_form = match_form(title)
        english_form = match_form(english) if original else title_form
        head = match_form(english.split(": ", 1)[0]) if ": " in english else english_form
        forms = {title_form, english_form, franchise}
        if original:
            forms |= {match_form(original), match_form(t.alias_key(title))}
        if _APOSTROPHES.search(title):
            forms |= {match_form(title, join_apostrophes=False), match_form(english, join_apostrophes=False)}
        for form in forms:
            if form:
                add(form, index, _EXACT)
                loose = loose_form(form)
                if loose != form:
                    add(loose, index, _LOOSE)
        if head:
            add(loose_form(head), index, _HEAD)
    unsorted = np.array(list(ids), dtype=object)
    ids.clear()
    order = np.argsort(unsorted)  # Python string order: what `bisect` on the list expects
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    names = unsorted[order].tolist()
    del unsorted
    where = position[np.frombuffer(name_ids, dtype=np.int64)] if name_ids else np.empty(0, dtype=np.int64)
    items = np.frombuffer(name_items, dtype=np.int64) if name_items else np.empty(0, dtype=np.int64)
    kind = np.frombuffer(kinds, dtype=np.int8) if kinds else np.empty(0, dtype=np.int8)
    whole = kind != _HEAD
    has_whole = np.zeros(len(names), dtype=bool)
    has_whole[where[whole]] = True
    is_head = np.zeros(len(names), dtype=bool)
    is_head[where[~whole]] = True
    # `squid game` names Squid Game, not (also) the head of `Squid Game: The Challenge`.
    search = whole | ~has_whole[where]
    exact = kind == _EXACT
    return _NameTable(
        names=names,
        search_items=_Csr.from_pairs(where[search], items[search], len(names)),
        exact_items=_Csr.from_pairs(where[exact], items[exact], len(names)),
        has_whole=has_whole,
        is_head=is_head,
        franchise_ids=np.frombuffer(franchise_ids, dtype=np.int64).astype(np.int32),
    )


def _word_postings(names: list[str]) -> tuple[list[str], _Csr]:
    """The sorted word vocabulary of `names` and, per word, the positions of the names containing it."""
    ids: dict[str, int] = {}
    word_ids, positions = array("q"), array("q")
    for position, name in enumerate(names):
        for word in set(name.split()):
            word_ids.append(ids.setdefault(word, len(ids)))
            positions.append(position)
    unsorted = np.array(list(ids), dtype=object)
    order = np.argsort(unsorted)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    words = np.frombuffer(word_ids, dtype=np.int64) if word_ids else np.empty(0, dtype=np.int64)
    where = np.frombuffer(positions, dtype=np.int64) if positions else np.empty(0, dtype=np.int64)
    return unsorted[order].tolist(), _Csr.from_pairs(rank[words], where, len(order))


# A bigram as one integer: first code point * _GRAM_BASE + second (both below 0x110000).
_GRAM_BASE = 0x110000
_GRAM_BITS = 42  # codes are below 2**41; the name offset in a chunk goes above them
_GRAM_CHUNK = 100_000  # names per vectorised step (bounds the temporaries at a million names)


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values. `np.unique`'s hash path is pathologically slow on these packed keys
    (low bits mostly equal): a sort and a neighbour comparison are not."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def _gram_code(gram: str) -> int:
    return ord(gram[0]) * _GRAM_BASE + ord(gram[1])


def _name_grams(names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(name offset, bigram code) once per distinct bigram of each space-padded name, by name then code."""
    points = np.frombuffer(("\0" + "\0".join(names) + "\0").encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    boundary = points == 0  # names are normalised text: no NUL inside, so NUL separates them
    owner = np.cumsum(boundary)[:-1] - 1
    points[boundary] = ord(" ")  # the padding `_bigrams` adds on both sides
    key = _distinct((owner << _GRAM_BITS) | (points[:-1] * _GRAM_BASE + points[1:]))
    return key >> _GRAM_BITS, key & ((1 << _GRAM_BITS) - 1)


def _bigram_postings(names: list[str]) -> tuple[np.ndarray, _Csr, np.ndarray]:
    """Sorted bigram codes, per bigram the positions of the names holding it, and each name's bigram count.

    Two vectorised passes over chunks of names (count, then fill), so the temporaries stay a chunk's
    size; the postings are written straight into one int32 array.
    """
    chunks = range(0, len(names), _GRAM_CHUNK)
    counted: list[np.ndarray] = []
    sizes = np.zeros(len(names), dtype=np.int32)
    for start in chunks:
        owner, codes = _name_grams(names[start:start + _GRAM_CHUNK])
        sizes[start:start + _GRAM_CHUNK] = np.bincount(owner, minlength=min(_GRAM_CHUNK, len(names) - start))
        counted.append(np.sort(codes))
    if not counted:
        return np.empty(0, dtype=np.int64), _Csr(np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.int32)), sizes
    keys = _distinct(np.concatenate([_distinct(c) for c in counted]))
    counts = sum(np.bincount(np.searchsorted(keys, c), minlength=len(keys)) for c in counted)
    del counted
    indptr = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    values = np.empty(int(indptr[-1]), dtype=np.int32)
    cursor = indptr[:-1].copy()
    for start in chunks:
        owner, codes = _name_grams(names[start:start + _GRAM_CHUNK])
        gram = np.searchsorted(keys, codes)
        order = np.argsort(gram, kind="stable")  # names stay ascending within a bigram
        gram = gram[order]
        rank = np.arange(len(gram)) - np.searchsorted(gram, gram, side="left")
        values[cursor[gram] + rank] = owner[order] + start
        cursor += np.bincount(gram, minlength=len(keys))
    return keys, _Csr(indptr, values), sizes


def _bigrams(text: str) -> set[str]:
    padded = f" {text} "
    return {padded[i:i + 2] for i in range(len(padded) - 1)}


class NameIndex:
    """Every name form of every item, for exact, number, prefix, containment and fuzzy lookups.

    Stored as flat arrays over one sorted list of names (no Python object per item or per name
    beyond the name itself): at a million titles per-name tuples, dicts and arrays cost gigabytes.
    A model version saves them (`arrays`, the titles included) and serving restores them (`saved`):
    building them at a million titles takes over a minute of CPU and about 0.7 GB of temporaries
    above the result, and the restored titles stay one UTF-8 buffer instead of a string each.
    """

    def __init__(self, titles: Sequence[str] | None, hours: np.ndarray,
                 saved: Mapping[str, np.ndarray] | None = None) -> None:
        """`saved`: `arrays()` of a built index, titles included (then `titles` is None); ValueError
        if its arrays do not fit together."""
        self._hours = np.asarray(hours, dtype=np.float64)
        self._counter_lock = threading.Lock()
        self.describe_items(np.zeros(len(self._hours), dtype=bool), np.zeros(len(self._hours), dtype=np.int32), [""])
        if saved is not None:
            self._restore(saved)
            return
        if titles is None:
            raise ValueError("an index is built from titles or restored from saved arrays")
        self._titles: Sequence[str] = titles
        table = _name_table(list(titles))
        # One sorted list of search names (every name form, loose forms and heads) for exact lookup
        # (bisect), prefix, word containment and the fuzzy pass; the CSR rows below are per name.
        self._vocabulary, self._words = _word_postings(table.names)
        self._gram_keys, self._bigram_postings, self._bigram_sizes = _bigram_postings(table.names)
        self.names = _StringArray(table.names)
        # Bigram overlap counts per name (a query has at most a few hundred bigrams), zero between
        # queries; one query at a time uses it (requests may run in several threads).
        self._counter = np.zeros(len(self.names), dtype=np.uint16)
        self._name_items = table.search_items  # what a name finds: its whole-name items, else its heads'
        self._exact = table.exact_items  # items whose own (folded) name form this is
        self._has_whole = table.has_whole  # a loose name of whole items (not only a head)
        self._is_head = table.is_head
        self._franchise_ids = table.franchise_ids
        self._franchise_members = _Csr.from_pairs(table.franchise_ids, np.arange(len(titles)),
                                                  int(table.franchise_ids.max(initial=-1)) + 1)

    def describe_items(self, films: np.ndarray, languages: np.ndarray, language_names: Sequence[str]) -> None:
        """What titles cannot say and the answers need: which items are films (a film's own title
        names it, not its sequels) and each item's language (code into `language_names`; a show
        in another language under the same name is another work). Like hours, these come from the
        item table at load time, not from the saved index. Until told, every item is a show in one
        language."""
        films, languages = np.asarray(films, dtype=bool), np.asarray(languages)
        if len(films) != len(self._hours) or len(languages) != len(self._hours):
            raise ValueError(f"{len(films)} film flags and {len(languages)} languages for {len(self._hours)} items")
        self._films, self._languages, self._language_names = films, languages, list(language_names)

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything built from the titles, as named flat arrays (what a model version saves)."""
        titles = self._titles if isinstance(self._titles, _StringArray) else _StringArray(self._titles)
        out = {"layout": np.array([INDEX_LAYOUT]), **self.names.arrays("names"), **titles.arrays("titles"),
               **_StringArray(self._vocabulary).arrays("vocabulary")}
        out.update({name: getattr(self, f"_{name}") for name in _INDEX_ARRAYS})
        for name in _INDEX_CSRS:
            csr = getattr(self, f"_{name}")
            out.update({f"{name}.indptr": csr.indptr, f"{name}.values": csr.values})
        return out

    @property
    def titles(self) -> Sequence[str]:
        """The indexed titles, item by item (a restored index's are one UTF-8 buffer, not a string each)."""
        return self._titles

    def _restore(self, saved: Mapping[str, np.ndarray]) -> None:
        """Take over saved arrays after checking they fit together and these titles (a checksum
        vouches for the bytes; this catches an index of another catalog or another layout)."""
        expected = {"layout", *(f"{n}.{p}" for n in ("names", "titles", "vocabulary") for p in ("offsets", "buffer")),
                    *_INDEX_ARRAYS, *(f"{n}.{p}" for n in _INDEX_CSRS for p in ("indptr", "values"))}
        if set(saved) != expected or saved["layout"].tolist() != [INDEX_LAYOUT]:
            raise ValueError("it was saved in another layout")
        self.names = _StringArray.from_arrays(saved["names.offsets"], saved["names.buffer"])
        self._titles = _StringArray.from_arrays(saved["titles.offsets"], saved["titles.buffer"])
        self._vocabulary = list(_StringArray.from_arrays(saved["vocabulary.offsets"], saved["vocabulary.buffer"]))
        for name in _INDEX_ARRAYS:
            setattr(self, f"_{name}", saved[name])
        n_names, n_items = len(self.names), len(self._titles)
        bounds = {"words": (len(self._vocabulary), n_names), "bigram_postings": (len(self._gram_keys), n_names),
                  "name_items": (n_names, n_items), "exact": (n_names, n_items),
                  "franchise_members": (int(self._franchise_ids.max(initial=-1)) + 1, n_items)}
        for name in _INDEX_CSRS:
            csr = _Csr(saved[f"{name}.indptr"], saved[f"{name}.values"])
            rows, limit = bounds[name]
            if (len(csr.indptr) != rows + 1 or csr.indptr[0] != 0 or csr.indptr[-1] != len(csr.values)
                    or (len(csr.values) and (csr.values.min() < 0 or csr.values.max() >= limit))):
                raise ValueError(f"its {name} rows do not fit {n_names} names and {n_items} titles")
            setattr(self, f"_{name}", csr)
        if not (len(self._has_whole) == len(self._is_head) == len(self._bigram_sizes) == n_names
                and len(self._franchise_ids) == n_items):
            raise ValueError(f"it does not fit {n_names} names and {n_items} titles")
        self._counter = np.zeros(n_names, dtype=np.uint16)

    # -- name lookups ----------------------------------------------------------------------------

    def _position(self, name: str) -> int | None:
        """The name's position in `names`, or None."""
        at = bisect.bisect_left(self.names, name)
        return at if at < len(self.names) and self.names[at] == name else None

    def _word(self, word: str) -> np.ndarray:
        """Name positions containing `word` (ascending)."""
        at = bisect.bisect_left(self._vocabulary, word)
        if at < len(self._vocabulary) and self._vocabulary[at] == word:
            return self._words.row(at)
        return np.empty(0, dtype=np.int32)

    def _is_name_head(self, name: str) -> bool:
        at = self._position(name)
        return at is not None and bool(self._is_head[at])

    def _display(self, item: int) -> str:
        return match_form(self._titles[item])

    def _numbers(self, item: int) -> dict[str, int]:
        """The season/part/volume/sequel numbers an item's English title carries (computed on demand)."""
        title = self._titles[item]
        english, original = t.split_alias(title)
        if "(" in english:
            return _item_numbers(match_form(t.base_year_free(english)))
        return _item_numbers(match_form(english) if original else match_form(title))
