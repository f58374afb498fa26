/**
 * prodkit JupyterLab extension: a right-sidebar panel that follows the active notebook
 * and refreshes when it is saved.
 */
import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { ProdkitPanel } from './panel';

const COMMANDS = {
  open: 'prodkit:open-panel',
  recheck: 'prodkit:recheck'
};

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'prodkit-jupyterlab:panel',
  description: 'prodkit side panel: readiness, promoted modules, jobs and models for the active notebook.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILabShell, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    labShell: ILabShell | null,
    palette: ICommandPalette | null
  ) => {
    const panel = new ProdkitPanel();
    app.shell.add(panel, 'right', { rank: 900 });

    let watched: DocumentRegistry.IContext<any> | null = null;
    const onSaved = (_: unknown, state: DocumentRegistry.SaveState) => {
      if (state === 'completed') {
        void panel.refresh(false);
      }
    };
    const follow = (notebook: NotebookPanel | null) => {
      if (watched) {
        watched.saveState.disconnect(onSaved);
      }
      watched = notebook ? notebook.context : null;
      if (watched) {
        watched.saveState.connect(onSaved);
      }
      panel.setNotebook(notebook ? notebook.context.path : null);
    };
    tracker.currentChanged.connect((_, notebook) => follow(notebook));
    if (labShell) {
      // A notebook renamed while active keeps the same widget: follow its new path.
      labShell.currentChanged.connect(() => {
        if (tracker.currentWidget && tracker.currentWidget.context.path !== panel.path) {
          follow(tracker.currentWidget);
        }
      });
    }
    void app.restored.then(() => follow(tracker.currentWidget));

    app.commands.addCommand(COMMANDS.open, {
      label: 'prodkit: Open Panel',
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(COMMANDS.recheck, {
      label: 'prodkit: Re-check Active Notebook',
      execute: () => panel.refresh(true)
    });
    if (palette) {
      palette.addItem({ command: COMMANDS.open, category: 'prodkit' });
      palette.addItem({ command: COMMANDS.recheck, category: 'prodkit' });
    }
  }
};

export default plugin;
