#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks a KTAP stream against the rules of the kernel's KUnit parser, and strict nesting.

Usage: tests/ktap.py [FILE]   (default: standard input)

The rules are those of tools/testing/kunit/kunit_parser.py (Linux 6.x), which is
what kernel developers feed test logs to:

- the stream starts at the first "KTAP version 1" (or "TAP version 13/14") line;
  anything before it is ignored, as in a kernel log;
- a test is a version line, for a nested test a "# Subtest: NAME" line, a plan
  "1..N", then N results numbered 1 to N, each a result line ("ok K NAME" or
  "not ok K NAME", optionally followed by " # DIRECTIVE") or a nested test
  followed by its result line, whose NAME must be the one of its "# Subtest:";
- any other line is a diagnostic and may come anywhere;
- a result line inside a nested test may not have that test's own name (the
  parser takes the first line with the name for the end of the test).

Stricter than the parser, which ignores indentation: a nested test is indented by
four more spaces than its parent (the KTAP specification), and after the top
level's last result no further result line may come. Prints one line per error
and a summary; exit status 0 when the stream is accepted.
"""

import re
import sys

VERSION = re.compile(r'^( *)(KTAP version 1|TAP version 1[34])$')
SUBTEST = re.compile(r'^( *)# Subtest: (.*)$')
PLAN = re.compile(r'^( *)1\.\.([0-9]+)')
RESULT = re.compile(r'^( *)(ok|not ok) ([0-9]+) (- )?([^#]*?)( # .*)?$')


class Stream:
    """The lines after the start of the KTAP output, with their numbers."""

    def __init__(self, lines):
        self.lines = lines
        self.pos = 0
        self.errors = []

    def peek(self):
        return self.lines[self.pos][1] if self.pos < len(self.lines) else None

    def pop(self):
        self.pos += 1
        return self.lines[self.pos - 1]

    def error(self, message):
        where = self.lines[min(self.pos, len(self.lines) - 1)][0] if self.lines else 0
        self.errors.append(f'line {where}: {message}')

    def skip_diagnostics(self):
        """Pops every line that is none of version, subtest header, plan or result."""
        while self.peek() is not None and not any(
                r.match(self.peek()) for r in (VERSION, SUBTEST, PLAN, RESULT)):
            self.pop()


def indent_of(match):
    return len(match.group(1))


def expect(s, regex, indent, what):
    """Pops the next line if @regex matches it at @indent; else records an error.

    Return: the match, or None.
    """
    m = regex.match(s.peek() or '')
    if not m or indent_of(m) != indent:
        s.error(f'expected {what} indented by {indent}')
        return None
    s.pop()
    return m


def parse_test(s, indent, name, counts):
    """Parses a test from its version line to its last subtest's result.

    @name is the "# Subtest:" name expected for a nested test, None for the top.
    Return: the name found in the "# Subtest:" line (None at the top level).
    """
    s.skip_diagnostics()
    if not expect(s, VERSION, indent, 'a version line'):
        return None
    found = None
    if name is not None:
        m = expect(s, SUBTEST, indent, '"# Subtest: NAME"')
        found = m.group(2) if m else None
    s.skip_diagnostics()
    m = expect(s, PLAN, indent, 'a plan "1..N"')
    if not m:
        return found
    planned = int(m.group(2))
    if planned == 0:
        s.error('0 tests run (the kernel parser reports an empty plan as an error)')
    for number in range(1, planned + 1):
        s.skip_diagnostics()
        line = s.peek()
        if line is None:
            s.error(f'missing expected subtest {number} of {planned}')
            return found
        nested = None
        v = VERSION.match(line)
        if v:
            if indent_of(v) != indent + 4:
                s.error(f'a nested test must be indented by {indent + 4}')
            nested = parse_test(s, indent_of(v), '', counts)
            counts['nested'] += 1
            s.skip_diagnostics()
        m = RESULT.match(s.peek() or '')
        if not m or indent_of(m) != indent:
            s.error(f'expected the result line of test {number}, indented by {indent}')
            return found
        if name is not None and m.group(5) == found:
            s.error(f'result "{m.group(5)}" has the name of its own subtest: the kernel\'s'
                    ' parser takes it for the end of the subtest')
        s.pop()
        counts['results'] += 1
        if int(m.group(3)) != number:
            s.error(f'expected test number {number} but found {m.group(3)}')
        if nested is not None and m.group(5) != nested:
            s.error(f'missing subtest result line: "{m.group(5)}" closes'
                    f' "# Subtest: {nested}"')
    return found


def main():
    text = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    numbered = list(enumerate((line.rstrip('\n') for line in text), start=1))
    start = next((i for i, (_, line) in enumerate(numbered)
                  if VERSION.match(line) and not line.startswith(' ')), None)
    if start is None:
        print('ktap: no "KTAP version 1" line: not a KTAP stream')
        return 1
    s = Stream(numbered[start:])
    counts = {'results': 0, 'nested': 0}
    parse_test(s, 0, None, counts)
    for number, line in s.lines[s.pos:]:
        if RESULT.match(line) or PLAN.match(line) or VERSION.match(line):
            s.errors.append(f'line {number}: a test line after the last planned result')
            break
    for error in s.errors:
        print(f'ktap: {error}')
    verdict = 'rejected' if s.errors else 'accepted'
    print(f'ktap: {verdict}: {counts["results"]} results, {counts["nested"]} nested tests')
    return 1 if s.errors else 0


if __name__ == '__main__':
    sys.exit(main())
