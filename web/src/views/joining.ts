// While a concert's join challenge is being solved (SPEC §2): what is happening, in plain words,
// how far the browser has got, and a way out. Leaving this view (cancel, or going anywhere else)
// stops the solver: the worker is terminated and the fan is not put in line.
import type { ConcertListItem } from '@lineup/client-sdk';
import type { App, View } from '../app.js';
import type { Solver } from '../challenge.js';
import { h } from '../dom.js';
import { m } from '../i18n.js';

export class JoiningView implements View {
  readonly name = 'joining';
  private tried = 0;
  private expected = 0;
  private solver: Solver | undefined;
  // Updated in place (no re-render per report: a report comes several times a second).
  private parts: { line: HTMLElement; bar: HTMLProgressElement } | undefined;

  constructor(
    private readonly app: App,
    private readonly concert: ConcertListItem,
    private readonly joining: AbortController,
  ) {}

  title(): string {
    return m().titleJoining;
  }

  render(): HTMLElement {
    const t = m();
    const parts = {
      line: h('p', { class: 'challenge-line', 'data-testid': 'challenge-progress' }),
      bar: h('progress', { id: 'challenge-progress', max: '100' }),
    };
    this.parts = parts;
    this.update();
    return h(
      'section',
      { class: 'view room joining' },
      h('p', { class: 'eyebrow' }, t.joiningTitle),
      h('h1', { tabindex: '-1' }, this.concert.title),
      h(
        'div',
        { class: 'card queue-card' },
        h('p', null, t.challengeText),
        h('label', { for: 'challenge-progress', class: 'small' }, t.challengeLabel),
        parts.bar,
        parts.line,
      ),
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => this.cancel() },
        t.challengeCancel,
      ),
    );
  }

  /** Which solver runs: shown on the line as data-solver (for support and tests). */
  setSolver(solver: Solver): void {
    this.solver = solver;
    this.update();
  }

  progress(tried: number, expected: number): void {
    this.tried = tried;
    this.expected = expected;
    this.update();
  }

  dispose(): void {
    this.parts = undefined;
    this.joining.abort();
  }

  private update(): void {
    if (!this.parts) return;
    const { line, bar } = this.parts;
    if (this.solver) line.dataset.solver = this.solver;
    if (this.expected === 0) return;
    line.textContent = m().challengeProgress(this.tried, this.expected);
    bar.value = Math.min(99, Math.floor((this.tried / this.expected) * 100));
  }

  private cancel(): void {
    this.app.goConcerts();
    this.app.info(() => m().challengeCancelled);
  }
}
