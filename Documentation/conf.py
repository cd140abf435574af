# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration: sphinx-build -W -b html Documentation <out>
# (make check builds it so, with Debian's python3-sphinx, and fails on any
# warning).

import os

project = 'xepoll'
copyright = 'The xepoll developers'
root_doc = 'index'
exclude_patterns = [
    # The kernel's ABI description format, not reStructuredText.
    'ABI',
    # Included by benchmarks.rst, not documents of their own.
    'bench',
]
html_theme = 'alabaster'

# Documentation/bench/ holds the newest benchmark results, which make bench
# writes and are committed separately. Until they are, benchmarks.rst's
# include and images would fail the build: say instead that there are none.
_here = os.path.dirname(os.path.abspath(__file__))


def _missing_results(app, docname, source):
    if docname != 'benchmarks':
        return
    text = source[0]
    for directive in ('include', 'image'):
        prefix = '.. %s:: ' % directive
        lines = []
        for line in text.split('\n'):
            if line.startswith(prefix):
                path = line[len(prefix):].strip()
                if not os.path.exists(os.path.join(_here, path)):
                    line = ('*(Not yet recorded: ``Documentation/%s`` is '
                            'written by make bench.)*' % path)
            lines.append(line)
        text = '\n'.join(lines)
    source[0] = text


def setup(app):
    app.connect('source-read', _missing_results)
