/** The body of the Schedule dialog: cron, job name and parameters. */
import { Widget } from '@lumino/widgets';

export interface IScheduleRequest {
  cron: string;
  name: string;
  parameters: Record<string, unknown>;
}

function field(labelText: string, input: HTMLInputElement | HTMLTextAreaElement, hint: string): HTMLElement {
  const label = document.createElement('label');
  label.className = 'jp-prodkit-field';
  const title = document.createElement('span');
  title.textContent = labelText;
  const help = document.createElement('small');
  help.textContent = hint;
  label.append(title, input, help);
  return label;
}

/** Parses `key=value` lines; values are JSON when they parse, strings otherwise. */
export function parseParameters(text: string): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) {
      continue;
    }
    const at = line.indexOf('=');
    if (at < 1) {
      throw new Error(`parameter line "${line}" is not key=value`);
    }
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    try {
      parameters[key] = JSON.parse(value);
    } catch {
      parameters[key] = value;
    }
  }
  return parameters;
}

export class ScheduleForm extends Widget {
  private _cron: HTMLInputElement;
  private _name: HTMLInputElement;
  private _params: HTMLTextAreaElement;

  constructor(defaultName: string) {
    super();
    this.addClass('jp-prodkit-schedule');
    this._cron = document.createElement('input');
    this._cron.className = 'jp-mod-styled';
    this._cron.value = '0 6 * * *';
    this._cron.setAttribute('aria-label', 'cron expression');
    this._name = document.createElement('input');
    this._name.className = 'jp-mod-styled';
    this._name.value = defaultName;
    this._name.setAttribute('aria-label', 'job name');
    this._params = document.createElement('textarea');
    this._params.className = 'jp-mod-styled';
    this._params.rows = 4;
    this._params.placeholder = 'threshold=0.6\nrun_date="2026-01-01"';
    this._params.setAttribute('aria-label', 'parameters, one key=value a line');
    this.node.append(
      field('Cron', this._cron, 'minute hour day month weekday, e.g. 0 6 * * * (daily at 06:00)'),
      field('Job name', this._name, 'letters, digits, - and _'),
      field('Parameters', this._params, 'one key=value a line; values are JSON when they parse')
    );
  }

  getValue(): IScheduleRequest {
    return {
      cron: this._cron.value.trim(),
      name: this._name.value.trim(),
      parameters: parseParameters(this._params.value)
    };
  }

  protected onAfterAttach(): void {
    this._cron.focus();
  }
}
