"""The files a version derives from its items.csv at save time: the ranker's text channels and the title index.

Why they are saved at all: at a million titles, fitting the TF-IDF channels and building the title
index at every load cost minutes of CPU and over a gigabyte of temporaries. The pipeline passes
`DERIVED_FILES` to `artifacts.save_artifact`, serving passes them to `artifacts.load_serving`; the
artifact store itself knows only that they are named arrays with a layout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.artifacts import TITLE_INDEX_FILE, DerivedFile
from recommender.matching import INDEX_LAYOUT, TitleIndex
from recommender.ranking.channel_store import CHANNELS_FILE, text_arrays, text_from_arrays, text_keys
from recommender.ranking.channels import TEXT_CHANNELS, TEXT_SOURCE_COLUMNS, fit_text


def _restore_title_index(arrays: dict[str, np.ndarray], items: pd.DataFrame) -> TitleIndex:
    index = TitleIndex(None, items["hours_viewed"].to_numpy(dtype=np.float64), saved=arrays)
    if len(index.titles) != len(items):
        raise ValueError(f"it holds {len(index.titles)} titles, the catalog {len(items)}")
    return index


TEXT_CHANNELS_FILE = DerivedFile(
    name=CHANNELS_FILE,
    columns=TEXT_SOURCE_COLUMNS,
    build=lambda table: text_arrays(fit_text(table)),
    fits=lambda keys, _: keys == text_keys(TEXT_CHANNELS),
    restore=lambda arrays, items: text_from_arrays(arrays, TEXT_CHANNELS, len(items)),
)
TITLE_INDEX = DerivedFile(
    name=TITLE_INDEX_FILE,
    columns=("title",),
    build=lambda table: TitleIndex(table["title"].tolist(), np.zeros(len(table))).arrays(),
    fits=lambda _, layout: layout is not None and layout.tolist() == [INDEX_LAYOUT],
    restore=_restore_title_index,
)
DERIVED_FILES = (TEXT_CHANNELS_FILE, TITLE_INDEX)
