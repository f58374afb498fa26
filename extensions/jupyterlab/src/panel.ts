/**
 * The prodkit side panel: readiness score and checklist, promoted modules, jobs and
 * models for the active notebook. It renders what the server computed and nothing more.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import {
  checkIcon,
  closeIcon,
  infoIcon,
  LabIcon
} from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import {
  ApiError,
  IAction,
  ICheck,
  IReadiness,
  IScheduled,
  ISection,
  IStatus,
  postJSON,
  requestAPI,
  Row
} from './api';
import { IJobStatus, IModelStatus, IPromoteStatus } from './records';
import { ScheduleForm } from './schedule';

const PANEL_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M4 3h12l4 4v14H4V3zm2 2v14h12V8h-3V5H6zm2 5h2v2H8v-2zm4 0h4v2h-4v-2zm-4 4h2v2H8v-2zm4 0h4v2h-4v-2z"/>
  </g>
</svg>`;

export const prodkitIcon = new LabIcon({ name: 'prodkit:panel', svgstr: PANEL_SVG });

const STATUS_ORDER: Record<string, number> = { fail: 0, warn: 1, skip: 2, pass: 3 };
const POLL_MS = 700;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text = ''
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text) {
    node.textContent = text;
  }
  return node;
}

function button(label: string, title: string, onClick: () => void, accent = false): HTMLButtonElement {
  const node = el('button', `jp-Button jp-mod-styled ${accent ? 'jp-mod-accept' : 'jp-mod-reject'} jp-prodkit-button`, label);
  node.type = 'button';
  node.title = title;
  node.addEventListener('click', onClick);
  return node;
}

function str(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function when(value: unknown): string {
  const text = str(value);
  if (!text) {
    return '';
  }
  const date = new Date(text);
  return isNaN(date.getTime()) ? text : date.toLocaleString();
}

function statusBadge(status: string, text = status): HTMLElement {
  return el('span', `jp-prodkit-badge jp-prodkit-status-${status.replace(/[^a-z_]/gi, '')}`, text);
}

export class ProdkitPanel extends Widget {
  private _path: string | null = null;
  private _body: HTMLElement;
  private _live: HTMLElement;
  private _actions: HTMLElement;
  private _buttons: HTMLButtonElement[] = [];
  private _request = 0;
  private _busy = false;
  private _status: IStatus | null = null;

  constructor() {
    super();
    this.id = 'prodkit-panel';
    this.addClass('jp-prodkit-panel');
    this.title.icon = prodkitIcon;
    this.title.caption = 'prodkit: production readiness';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'prodkit production readiness');
    const header = el('h2', 'jp-prodkit-title', 'prodkit');
    this._actions = el('div', 'jp-prodkit-actions');
    this._actions.setAttribute('role', 'toolbar');
    this._actions.setAttribute('aria-label', 'prodkit actions');
    this._buttons = [
      button('Promote', 'Write the %%promote cells to modules and tests (prodkit promote)', () => void this.promote(), true),
      button('Re-check', 'Recompute the readiness checklist now', () => void this.refresh(true)),
      button('Run now', 'Run this notebook once now as a job (papermill)', () => void this.runNow()),
      button('Schedule', 'Schedule this notebook as a job (cron and parameters)', () => void this.schedule())
    ];
    this._buttons[1].classList.add('jp-prodkit-recheck');
    this._actions.append(...this._buttons);
    this._live = el('div', 'jp-prodkit-live');
    this._live.setAttribute('role', 'status');
    this._live.setAttribute('aria-live', 'polite');
    this._body = el('div', 'jp-prodkit-body');
    this.node.append(header, this._actions, this._live, this._body);
    this.renderEmpty();
  }

  /** The server path of the notebook the panel shows, or null. */
  get path(): string | null {
    return this._path;
  }

  setNotebook(path: string | null): void {
    if (path === this._path) {
      return;
    }
    this._path = path;
    this._status = null;
    this._body.replaceChildren();
    void this.refresh(false);
  }

  /** Fetches readiness + promote status + jobs + models in one call and renders them. */
  async refresh(fresh: boolean): Promise<void> {
    const path = this._path;
    if (!path) {
      this.renderEmpty();
      return;
    }
    const request = ++this._request;
    this.node.setAttribute('aria-busy', 'true');
    this.say(fresh ? 'Re-checking…' : 'Loading…');
    try {
      const status = await requestAPI<IStatus>('status', {}, fresh ? { path, fresh: '1' } : { path });
      if (request !== this._request) {
        return;
      }
      this._status = status;
      this.render(status);
      this.say(`Checked ${new Date().toLocaleTimeString()}`);
    } catch (error) {
      if (request !== this._request) {
        return;
      }
      this.renderError(error);
    } finally {
      if (request === this._request) {
        this.node.removeAttribute('aria-busy');
      }
    }
  }

  async promote(): Promise<void> {
    await this.runAction('Promote', () => postJSON<IAction>('promote', { path: this._path }));
  }

  async runNow(): Promise<void> {
    await this.runAction('Run now', () => postJSON<IAction>('jobs/run', { path: this._path }));
  }

  async schedule(): Promise<void> {
    const path = this._path;
    if (!path) {
      return;
    }
    let defaultName = '';
    try {
      // the jobs API's own default name rule, asked from the server (the panel has no rule of its own)
      defaultName = (await requestAPI<{ name: string }>('jobs/default-name', {}, { path })).name;
    } catch (error) {
      this.say(`Schedule: ${(error as Error).message}`, true);
      return;
    }
    const form = new ScheduleForm(defaultName);
    let request;
    try {
      const result = await showDialog({
        title: 'Schedule this notebook',
        body: form,
        buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Schedule' })],
        focusNodeSelector: 'input'
      });
      if (!result.button.accept || !result.value) {
        return;
      }
      request = result.value;
    } catch (error) {
      this.say(`Schedule: ${(error as Error).message}`, true);
      return;
    }
    try {
      const job = await postJSON<IScheduled>('jobs/schedule', { path, ...request });
      const warnings = job.warnings.length ? ` — ${job.warnings.join('; ')}` : '';
      await this.refresh(true);
      this.say(`Scheduled ${job.name} (${job.cron})${warnings}`);
    } catch (error) {
      this.say(`Schedule failed: ${(error as Error).message}`, true);
    }
  }

  /** Starts a long action on the server and polls it until it ends. */
  private async runAction(label: string, start: () => Promise<IAction>): Promise<void> {
    if (!this._path || this._busy) {
      return;
    }
    const path = this._path;
    this.setBusy(true);
    this.say(`${label}…`);
    try {
      let action = await start();
      while (action.status === 'running' || action.status === 'queued') {
        if (action.status === 'queued') {
          this.say(`${label}: queued (${action.position ?? '?'} in line, max_concurrency reached)…`);
        } else {
          this.say(`${label}…`);
        }
        await new Promise(resolve => setTimeout(resolve, POLL_MS));
        action = await requestAPI<IAction>(`actions/${action.id}`);
      }
      if (this._path !== path) {
        return; // another notebook became active meanwhile: it shows its own state
      }
      const ok = action.status === 'succeeded';
      this.say(`${label} ${ok ? 'done' : 'failed'}: ${action.message}`, !ok);
      this.renderActionResult(label, action);
      await this.refresh(true);
      this.say(`${label} ${ok ? 'done' : 'failed'}: ${action.message}`, !ok);
    } catch (error) {
      this.say(`${label} failed: ${(error as Error).message}`, true);
    } finally {
      this.setBusy(false);
    }
  }

  private setBusy(busy: boolean): void {
    this._busy = busy;
    for (const b of this._buttons) {
      b.disabled = busy;
    }
  }

  private say(message: string, isError = false): void {
    this._live.textContent = message;
    this._live.classList.toggle('jp-prodkit-live-error', isError);
  }

  private renderEmpty(): void {
    this._body.replaceChildren(el('p', 'jp-prodkit-empty', 'Open a notebook to see its production readiness.'));
    for (const b of this._buttons) {
      b.disabled = true;
    }
    this.say('');
  }

  private renderError(error: unknown): void {
    let message = error instanceof ApiError ? error.message : String(error);
    if (error instanceof ApiError && error.status === 404 && !message.includes('.ipynb')) {
      message = 'The prodkit server extension is not enabled: run `jupyter server extension enable prodkit.server` and restart JupyterLab.';
    }
    const box = el('div', 'jp-prodkit-error');
    box.setAttribute('role', 'alert');
    box.append(closeIcon.element({ tag: 'span', className: 'jp-prodkit-icon' }), el('span', '', message));
    this._body.replaceChildren(el('p', 'jp-prodkit-path', this._path ?? ''), box);
    this.say('');
  }

  private render(status: IStatus): void {
    this.setBusy(this._busy);
    const nodes: HTMLElement[] = [el('p', 'jp-prodkit-path', status.notebook)];
    nodes.push(this.readinessNode(status.readiness));
    nodes.push(this.sectionNode('Promoted modules', status.promote, data => this.promoteNode(data)));
    nodes.push(this.sectionNode('Jobs', status.jobs, data => this.jobsNode(data)));
    nodes.push(this.sectionNode('Models', status.models, data => this.modelsNode(data)));
    if (status.readiness.available && status.readiness.data && !status.readiness.error) {
      const checklist = this.sectionNode('Checklist', status.readiness, data => this.checklistNode(data));
      checklist.classList.add('jp-prodkit-checklist-section');
      nodes.push(checklist);
    }
    const footer = el('p', 'jp-prodkit-footer', `${status.cached ? 'cached · ' : ''}${Math.round(status.elapsed_ms)} ms`);
    nodes.push(footer);
    const previous = this._body.querySelector('.jp-prodkit-result');
    if (previous) {
      nodes.splice(1, 0, previous as HTMLElement);
    }
    this._body.replaceChildren(...nodes);
  }

  private renderActionResult(label: string, action: IAction): void {
    const box = el('div', `jp-prodkit-result jp-prodkit-result-${action.status}`);
    box.setAttribute('data-kind', action.kind);
    const icon = action.status === 'succeeded' ? checkIcon : closeIcon;
    box.append(
      icon.element({ tag: 'span', className: 'jp-prodkit-icon' }),
      el('strong', '', `${label}: ${action.status}`),
      el('span', 'jp-prodkit-result-message', action.message)
    );
    const old = this._body.querySelector('.jp-prodkit-result');
    if (old) {
      old.replaceWith(box);
    } else {
      this._body.insertBefore(box, this._body.children[1] ?? null);
    }
  }

  private sectionNode<T>(title: string, section: ISection<T>, body: (data: T) => HTMLElement): HTMLElement {
    const details = el('details', 'jp-prodkit-section');
    details.open = true;
    const summary = el('summary', 'jp-prodkit-section-title', title);
    details.append(summary);
    if (!section.available) {
      details.append(el('p', 'jp-prodkit-muted', section.message || 'not set up yet'));
    } else if (section.error) {
      const box = el('div', 'jp-prodkit-error', section.error);
      box.setAttribute('role', 'alert');
      details.append(box);
    } else if (section.data !== undefined) {
      details.append(body(section.data));
    }
    return details;
  }

  private readinessNode(section: ISection<IReadiness>): HTMLElement {
    const details = this.sectionNode('Readiness', section, data => this.scoreNode(data));
    details.classList.add('jp-prodkit-readiness');
    return details;
  }

  private scoreNode(result: IReadiness): HTMLElement {
    const wrap = el('div');
    const score = Math.max(0, Math.min(1, Number(result.score) || 0));
    const head = el('div', 'jp-prodkit-score');
    const value = el('span', 'jp-prodkit-score-value', `${Math.round(score * 100)}%`);
    const grade =
      result.grade !== undefined
        ? el('span', 'jp-prodkit-muted', `grade ${result.grade} (weakest section)`)
        : el('span');
    const bar = el('div', 'jp-prodkit-bar');
    bar.setAttribute('role', 'meter');
    bar.setAttribute('aria-label', 'readiness score');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '100');
    bar.setAttribute('aria-valuenow', String(Math.round(score * 100)));
    const fill = el('div', `jp-prodkit-bar-fill ${score >= 0.8 ? 'jp-mod-good' : score >= 0.5 ? 'jp-mod-fair' : 'jp-mod-poor'}`);
    fill.style.width = `${score * 100}%`;
    bar.append(fill);
    head.append(value, grade, bar);
    wrap.append(head);

    const counts: Record<string, number> = {};
    for (const check of result.checks ?? []) {
      counts[check.status] = (counts[check.status] ?? 0) + 1;
    }
    wrap.append(
      el('p', 'jp-prodkit-muted jp-prodkit-counts',
        ['pass', 'warn', 'fail', 'skip'].filter(s => counts[s]).map(s => `${counts[s]} ${s}`).join(' · '))
    );
    return wrap;
  }

  private checklistNode(result: IReadiness): HTMLElement {
    const wrap = el('div');

    const bySection = new Map<string, ICheck[]>();
    for (const check of result.checks ?? []) {
      const list = bySection.get(check.section) ?? [];
      list.push(check);
      bySection.set(check.section, list);
    }
    const list = el('ul', 'jp-prodkit-checklist');
    list.setAttribute('aria-label', 'readiness checklist');
    for (const [name, checks] of bySection) {
      const group = el('li', 'jp-prodkit-group');
      const info = result.sections?.[name] as Row | undefined;
      const passed = checks.filter(c => c.status === 'pass').length;
      const tally =
        info && info.points !== undefined && info.max !== undefined
          ? `${str(info.points).replace(/\.0$/, '')}/${str(info.max)}`
          : `${passed}/${checks.length}`;
      group.append(el('div', 'jp-prodkit-group-title', `${name} ${tally}`));
      const items = el('ul');
      checks.sort((a, b) => (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9));
      for (const check of checks) {
        items.append(this.checkNode(check));
      }
      group.append(items);
      list.append(group);
    }
    wrap.append(list);
    return wrap;
  }

  private checkNode(check: ICheck): HTMLElement {
    const item = el('li', `jp-prodkit-check jp-prodkit-check-${check.status}`);
    item.tabIndex = 0;
    item.setAttribute('data-check', check.id);
    const cells = check.cells && check.cells.length ? ` (cells ${check.cells.join(', ')})` : '';
    item.setAttribute('aria-label', `${check.id} ${check.status}: ${check.message}${cells}`);
    const body = el('div', 'jp-prodkit-check-body');
    body.append(el('code', 'jp-prodkit-check-id', check.id), el('span', 'jp-prodkit-check-message', ` ${check.message}${cells}`));
    if (check.fix && check.status !== 'pass') {
      const fix = el('div', 'jp-prodkit-fix');
      fix.append(infoIcon.element({ tag: 'span', className: 'jp-prodkit-icon' }), el('span', '', check.fix));
      body.append(fix);
    }
    item.append(statusBadge(check.status), body);
    return item;
  }

  private promoteNode(data: IPromoteStatus): HTMLElement {
    const wrap = el('div');
    if (!data.modules.length && !data.tests.length) {
      wrap.append(el('p', 'jp-prodkit-muted', 'No %%promote cells yet.'));
      return wrap;
    }
    wrap.append(
      el('p', 'jp-prodkit-muted', data.up_to_date ? 'All promoted files are up to date.' : 'Some promoted files are out of date: Promote writes them.')
    );
    const list = el('ul', 'jp-prodkit-rows');
    const rows = [
      ...data.modules.map(m => ['module', m] as const),
      ...data.tests.map(t => ['test', t] as const)
    ];
    for (const [kind, row] of rows) {
      const li = el('li', `jp-prodkit-row jp-prodkit-promoted jp-prodkit-promoted-${kind}`);
      const name = row.module;
      li.setAttribute('data-module', name);
      let state = 'out of date';
      if (row.up_to_date) {
        state = 'up to date';
      } else if (!row.exists) {
        state = 'not written yet';
      } else if (row.edited) {
        state = 'edited by hand';
      }
      li.setAttribute('aria-label', `${kind} ${name}: ${state}`);
      li.append(statusBadge(row.up_to_date ? 'pass' : 'stale', state), el('code', '', kind === 'test' ? `test ${name}` : name));
      const cells = row.cells.length ? ` · cells ${row.cells.join(', ')}` : '';
      li.title = `${row.path}${cells}`;
      list.append(li);
    }
    wrap.append(list);
    for (const problem of data.problems) {
      wrap.append(el('div', 'jp-prodkit-error', problem.message || problem.kind));
    }
    return wrap;
  }

  private jobsNode(jobs: IJobStatus[]): HTMLElement {
    if (!jobs.length) {
      return el('p', 'jp-prodkit-muted', 'No job for this notebook. Use Schedule or Run now.');
    }
    const list = el('ul', 'jp-prodkit-rows');
    for (const job of jobs) {
      const li = el('li', 'jp-prodkit-row jp-prodkit-job');
      const last = job.last_run;
      const lastStatus = last ? last.status : 'never run';
      li.append(statusBadge(job.paused ? 'paused' : lastStatus), el('strong', '', job.name));
      // no cron: started by another job's verdict (see its chain line), else manual-only (Run now / `prodkit jobs run`)
      const schedule = job.cron || (job.on_drift || job.on_degraded ? 'triggered' : 'manual only');
      const bits = [schedule, job.cron && job.tz ? `(${job.tz})` : ''];
      if (job.next_due && !job.paused) {
        bits.push(`next ${when(job.next_due)}`);
      }
      if (last) {
        const duration = last.duration_s !== null ? ` (${last.duration_s.toFixed(1)} s)` : '';
        bits.push(`last ${when(last.ended_at ?? last.started_at ?? last.scheduled_for)}${duration}`);
        li.title = last.output_path ?? '';
      }
      li.append(el('span', 'jp-prodkit-muted', bits.filter(Boolean).join(' · ')));
      if (job.chain) {
        li.append(el('div', 'jp-prodkit-chain', job.chain));
      }
      const error = last?.error;
      if (error) {
        li.append(el('div', 'jp-prodkit-error', `cell ${str(error.cell)}: ${error.ename} ${error.evalue}`));
      } else if (job.message) {
        li.append(el('div', 'jp-prodkit-muted', job.message));
      }
      list.append(li);
    }
    return list;
  }

  private modelsNode(models: IModelStatus[]): HTMLElement {
    if (!models.length) {
      return el('p', 'jp-prodkit-muted', 'No registered model from this notebook yet.');
    }
    const list = el('ul', 'jp-prodkit-rows');
    for (const model of models) {
      const li = el('li', 'jp-prodkit-row jp-prodkit-model');
      li.append(el('strong', '', model.name));
      li.append(el('span', 'jp-prodkit-muted', `v${model.latest_version}`));
      if (!model.complete) {
        li.append(statusBadge('warn'), el('span', 'jp-prodkit-muted', `missing ${model.missing.join(', ')}`));
      }
      if (model.parity.status) {
        li.append(el('span', 'jp-prodkit-muted', `parity ${model.parity.status}`));
      }
      for (const [alias, version] of Object.entries(model.aliases)) {
        li.append(el('span', 'jp-prodkit-alias', `@${alias} → v${version}`));
      }
      list.append(li);
    }
    return list;
  }

  /** The last status the panel rendered (for tests and commands). */
  get status(): IStatus | null {
    return this._status;
  }
}
