import t from 'tap';
import { StateHandles } from '../../backends/state-handles.js';

t.test('a handle is kept per kind and name until cleared', async (t) => {
  const handles = new StateHandles();
  t.equal(handles.find('value', 'open'), undefined, 'none before it is made');
  const open = { name: 'open' };
  t.equal(handles.add('value', 'open', open), open, 'add returns the handle');
  t.equal(handles.find('value', 'open'), open, 'the same handle again');
  t.equal(handles.find('list', 'open'), undefined, 'the same name of another kind is another state');
  const list = handles.add('list', 'open', { name: 'open list' });
  t.equal(handles.find('list', 'open'), list);
  t.equal(handles.find('value', 'open'), open, 'each kind keeps its own');
  handles.clear();
  t.equal(handles.find('value', 'open'), undefined, 'cleared');
  t.equal(handles.find('list', 'open'), undefined, 'every kind cleared');
});
