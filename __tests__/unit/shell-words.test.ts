import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitShellWords } from '../../src/inputs/shell-words.js';

describe('splitShellWords', () => {
  const cases: [string, string[]][] = [
    ['', []],
    ['  --a   b  ', ['--a', 'b']],
    [`--set 'x=a b'`, ['--set', 'x=a b']],
    [`--set "x=\\"q\\" \\$HOME"`, ['--set', 'x="q" $HOME']],
    [`a\\ b c`, ['a b', 'c']],
    [`''`, ['']],
    ['--description "line\\\\n"', ['--description', 'line\\n']],
    ['a\nb', ['a', 'b']],
    ['`whoami` $(id) ; && |', ['`whoami`', '$(id)', ';', '&&', '|']],
  ];
  for (const [text, words] of cases) {
    it(JSON.stringify(text), () => {
      assert.deepEqual(splitShellWords(text), words);
    });
  }
  it('refuses unterminated quotes and a trailing backslash', () => {
    assert.throws(() => splitShellWords(`'a`), /unterminated ' quote/);
    assert.throws(() => splitShellWords(`"a`), /unterminated " quote/);
    assert.throws(() => splitShellWords('a\\'), /lone backslash/);
  });
});
