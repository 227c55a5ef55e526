# SPDX-License-Identifier: MIT
# Sphinx configuration of weft's documentation: `make htmldocs` builds it (needs python3-sphinx).

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'sphinx'))

project = 'weft'
html_title = 'weft: threads woven from raw Linux syscalls'
author = 'the weft developers'
copyright = 'the weft developers, MIT licence'
version = release = os.environ.get('WEFT_VERSION', '0.1')

extensions = ['kerneldoc']
# The kernel-doc directive reads files by their path from the top of the tree.
kerneldoc_srctree = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))

master_doc = 'index'
# parker-model.rst is included by parker.rst, not a page of its own.
exclude_patterns = ['output', 'parker-model.rst']
# Literal blocks are shell sessions, traces and diagrams as often as C: no guessing.
highlight_language = 'none'
tab_width = 8
html_theme = 'alabaster'
html_theme_options = {'page_width': '1100px', 'body_max_width': 'none'}
html_show_sourcelink = False
