# SPDX-License-Identifier: MIT
"""A small kernel-doc reader for Sphinx: weft's API reference and DOC: blocks, from the source.

The kernel renders its kernel-doc comments with scripts/kernel-doc (Perl) and
Documentation/sphinx/kerneldoc.py; weft needs a small part of that, in Python:

    .. kernel-doc:: include/weft/thread.h
       (every kernel-doc comment of the file, in order: DOC: blocks, types,
       functions and macros; a function the header declares without one is a
       warning, so `sphinx-build -W` fails on an undocumented public function)

    .. kernel-doc:: lib/park.c
       :doc: the Parker
       (the text of one DOC: block; a title the file does not have is a warning)

A kernel-doc comment starts with a line that is only "/**" (a DOC: block may
also open with "/*", as most of weft's .c files write them) and has, first,
"name() - brief", "struct name - brief" (or union, enum, typedef) or
"DOC: title"; then "@arg: text" lines; then paragraphs, where "Return:" (and
"Context:", "Note:") start sections. In the text, @arg, %CONST, &struct name and
name() become literals, as the kernel's tool does.

The extension also reads every .rst file as Sphinx loads it and warns when the
text names 'the DOC comment "TITLE" in ``FILE``' and FILE has no such block, so
that a chapter cannot point at a comment that has moved or been renamed.
"""

import os
import re

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import ViewList
from sphinx.util import logging
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

COMMENT = re.compile(r'^[ \t]*/\*(\*?)[ \t]*\n(.*?)\*/', re.S | re.M)
DOC_HEAD = re.compile(r'^DOC:\s*(.*)$')
TYPE_HEAD = re.compile(r'^(struct|union|enum|typedef)\s+(\w+)\s*-\s*(.*)$')
FUNC_HEAD = re.compile(r'^(\w+)\(\)\s*-\s*(.*)$')
PARAM = re.compile(r'^@(\w+|\.\.\.)\s*:\s*(.*)$')
SECTION = re.compile(r'^(Return|Returns|Context|Note|Notes|Example|Locking)\s*:\s*(.*)$')
# A declaration of a public function in a header, at the start of a line.
PROTOTYPE = re.compile(r'^(?!static|typedef|#|\s)[^;{}()#]*?\b(weft_\w+)\s*\([^;{]*\)[^;{]*;',
                       re.M)


class Comment:
    """One kernel-doc comment: its kind, name, brief, parameters and text."""

    def __init__(self, kind, name, brief, line):
        self.kind, self.name, self.brief, self.line = kind, name, brief, line
        self.params = []        # (name, text)
        self.sections = []      # (title or None, [lines])
        self.declaration = ''


def comment_lines(body):
    """The lines of a comment without the leading ' * '."""
    lines = []
    for line in body.split('\n'):
        line = re.sub(r'^\s*\*( |$)', '', line.rstrip(), count=1)
        if line.strip() == '*':
            line = ''
        lines.append(line)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def declaration_after(text, pos):
    """The declaration that follows a comment: up to ';', '{' or the end of a #define line."""
    rest = text[pos:].lstrip('\n')
    if rest.startswith('#define'):
        line = re.match(r'#define\s+(\w+(\([^)]*\))?)', rest)
        return '#define ' + line.group(1) if line else ''
    end = len(rest)
    for stop in (';', '{'):
        i = rest.find(stop)
        if i >= 0:
            end = min(end, i)
    decl = ' '.join(rest[:end].split())
    decl = strip_attributes(decl)
    return decl + (';' if decl and not decl.startswith(('struct', 'union', 'enum')) else '')


def strip_attributes(decl):
    """Drops __attribute__((...)) and the storage words a reader does not need."""
    while True:
        i = decl.find('__attribute__')
        if i < 0:
            break
        depth, j = 0, decl.find('(', i)
        while j < len(decl):
            depth += {'(': 1, ')': -1}.get(decl[j], 0)
            j += 1
            if depth == 0:
                break
        decl = decl[:i] + decl[j:]
    decl = re.sub(r'\b(extern|static inline|static)\s+', '', decl)
    return ' '.join(decl.split())


def parse(path):
    """Every kernel-doc comment of the file at @path, in order."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    comments = []
    for m in COMMENT.finditer(text):
        lines = comment_lines(m.group(2))
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            continue
        head, line_no = lines.pop(0).strip(), text.count('\n', 0, m.start()) + 1
        if not m.group(1) and not DOC_HEAD.match(head):
            continue        # a plain /* comment; only its DOC: blocks count
        if DOC_HEAD.match(head):
            c = Comment('doc', DOC_HEAD.match(head).group(1).strip(), '', line_no)
        elif TYPE_HEAD.match(head):
            t = TYPE_HEAD.match(head)
            c = Comment(t.group(1), t.group(2), t.group(3), line_no)
        elif FUNC_HEAD.match(head):
            f = FUNC_HEAD.match(head)
            c = Comment('function', f.group(1), f.group(2), line_no)
        else:
            continue        # a /** comment that is not kernel-doc
        # The brief goes on to the first blank line or @arg.
        while c.kind != 'doc' and lines and lines[0].strip() and not PARAM.match(lines[0]):
            c.brief += ' ' + lines.pop(0).strip()
        title, current = None, []
        for line in lines:
            p, s = PARAM.match(line), SECTION.match(line)
            if p and not current and title is None and c.kind != 'doc':
                c.params.append([p.group(1), p.group(2)])
            elif (c.params and line.startswith((' ', '\t')) and not current
                  and title is None):
                c.params[-1][1] += ' ' + line.strip()
            elif s and c.kind != 'doc':
                if current:
                    c.sections.append((title, current))
                title, current = s.group(1), [s.group(2)] if s.group(2) else []
            else:
                current.append(line)
        if current:
            c.sections.append((title, current))
        if c.kind != 'doc':
            c.declaration = declaration_after(text, m.end())
        comments.append(c)
    return comments


def inline(text):
    """kernel-doc's highlights, and escapes for what reST would misread, in prose."""
    out = []
    for i, part in enumerate(re.split(r'(``.*?``)', text)):
        if i % 2:
            out.append(part)
            continue
        part = part.replace('\\', '\\\\')
        part = re.sub(r'([*|`])', r'\\\1', part)
        part = re.sub(r'(\w)_(?=\W|$)', r'\1\\_', part)
        part = re.sub(r'&(struct|union|enum)\s+(\w+)', r'``\1 \2``', part)
        part = re.sub(r'(?<![\w`])@(\w+|\.\.\.)', r'``\1``', part)
        part = re.sub(r'(?<![\w`])%([A-Z_][A-Z0-9_]*)', r'``\1``', part)
        part = re.sub(r'(?<![\w`])(\w+\(\))', r'``\1``', part)
        out.append(part)
    return ''.join(out)


BULLET = re.compile(r'^( *)([-*]|[0-9]+\.) +')


def prose(lines):
    """Comment paragraphs as reST.

    Prose lines keep their indentation (list items and their continuations) and get
    inline(). A block indented deeper than the paragraph or list item around it,
    after a blank line, is a literal block (a diagram, an example), whether or not the
    paragraph before it ends with "::"; it is copied as it is.
    """
    out, context, base, literal, blank, last = [], 0, 0, False, True, ''
    for line in (l.expandtabs(8) for l in lines):
        if not line.strip():
            out.append('')
            blank = True
            continue
        indent = len(line) - len(line.lstrip(' '))
        if literal and indent > base:
            out.append(line)
            blank = False
            continue
        literal = False
        if blank and indent > context:
            if not last.rstrip().endswith('::'):
                out += [' ' * context + '::', '']
            literal, base = True, context
            out.append(line)
            blank = False
            continue
        bullet = BULLET.match(line)
        if bullet:
            context = len(bullet.group(0))
        elif indent == 0:
            context = 0
        out.append(' ' * indent + inline(line.strip()))
        last, blank = line, False
    return out


def render(c):
    """The reST of one comment."""
    if c.kind == 'doc':
        return prose([l for s in c.sections for l in s[1]]) + ['']
    label = c.name + '()' if c.kind == 'function' else f'{c.kind} {c.name}'
    out = ['.. index:: single: ' + label, '', '.. rubric:: ``' + label + '``', '']
    if c.declaration:
        out += ['.. code-block:: c', '', '   ' + c.declaration, '']
    out += [inline(c.brief.strip()), '']
    if c.params:
        out += ['**Parameters**' if c.kind == 'function' else '**Members**', '']
        for name, text in c.params:
            out += ['``' + name + '``', '    ' + inline(text.strip()), '']
    for title, lines in c.sections:
        body = prose(lines)
        if title:
            out += ['**' + title + ':** ' + (body[0] if body else '')] + body[1:] + ['']
        else:
            out += body + ['']
    return out


def undocumented(path, comments):
    """Public functions the header at @path declares with no kernel-doc comment."""
    with open(path, encoding='utf-8') as f:
        text = re.sub(r'/\*.*?\*/', '', f.read(), flags=re.S)
    documented = {c.name for c in comments}
    return sorted({m.group(1) for m in PROTOTYPE.finditer(text)} - documented)


class KernelDoc(Directive):
    """The kernel-doc directive, see the module's comment."""

    required_arguments = 1
    option_spec = {'doc': directives.unchanged_required}
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        top = env.config.kerneldoc_srctree
        rel = self.arguments[0]
        path = os.path.join(top, rel)
        where = (env.docname, self.lineno)
        if not os.path.isfile(path):
            logger.warning(f'kernel-doc: no file {rel}', location=where)
            return []
        env.note_dependency(os.path.abspath(path))
        comments = parse(path)
        if 'doc' in self.options:
            want = self.options['doc'].strip()
            comments = [c for c in comments if c.kind == 'doc' and c.name == want]
            if not comments:
                logger.warning(f'kernel-doc: {rel} has no "DOC: {want}" block', location=where)
                return []
        else:
            for name in undocumented(path, comments):
                logger.warning(f'kernel-doc: {rel}: {name}() has no kernel-doc comment',
                               location=where)
        text = ViewList()
        for c in comments:
            for line in render(c):
                text.append(line, rel, c.line)
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, text, node)
        return node.children


# 'the DOC comment "TITLE" in ``FILE``' (and "of"), as chapters write it.
DOC_REFERENCE = re.compile(r'DOC comment\s+"([^"]+)"\s+(?:in|of)\s+``([^`]+)``')


def check_doc_references(app, docname, source):
    """Warns when a chapter names a DOC block that its file does not have."""
    text = source[0]
    for m in DOC_REFERENCE.finditer(' '.join(text.split())):
        title, rel = m.group(1), m.group(2)
        path = os.path.join(app.config.kerneldoc_srctree, rel)
        if not os.path.isfile(path):
            logger.warning(f'{docname}: names the DOC comment "{title}" of {rel}, '
                           'which does not exist', location=docname)
        elif not any(c.kind == 'doc' and c.name == title for c in parse(path)):
            logger.warning(f'{docname}: names the DOC comment "{title}" in {rel}, '
                           'which has no such block', location=docname)


def setup(app):
    app.add_config_value('kerneldoc_srctree', '..', 'env')
    app.add_directive('kernel-doc', KernelDoc)
    app.connect('source-read', check_doc_references)
    return {'version': '1', 'parallel_read_safe': True}
