import type { PluginUi } from '../../plugin-api/index.js';

/** pulp_python in the web UI: its packages, and its PyPI indexes with the URL pip is given. */
export const pythonUi: PluginUi = {
  pages: [
    {
      title: 'Python packages',
      path: 'python/packages/',
      list: 'content/python/packages/',
      description: 'Every uploaded or synced Python distribution file (wheel or sdist).',
      columns: [{ field: 'name' }, { field: 'version' }, { field: 'filename' }, { field: 'sha256', copy: true }],
      detail: [
        { field: 'name' },
        { field: 'version' },
        { field: 'filename' },
        { field: 'packagetype' },
        { field: 'requires_python' },
        { field: 'summary' },
        { field: 'sha256', copy: true },
      ],
    },
    {
      title: 'PyPI indexes',
      path: 'python/distributions/',
      list: 'distributions/python/pypi/',
      description: 'Python distributions: each serves a package index that pip and twine use.',
      columns: [
        { field: 'name' },
        { field: 'base_path' },
        { field: 'base_url', label: 'pip index URL', template: '{value}simple/', copy: true },
      ],
      detail: [
        { field: 'name' },
        {
          field: 'base_url',
          label: 'pip install',
          template: 'pip install --index-url {value}simple/ <package>',
          copy: true,
        },
        {
          field: 'base_url',
          label: 'twine upload',
          template: 'twine upload --repository-url {value}legacy/ dist/*',
          copy: true,
        },
        { field: 'repository' },
        { field: 'publication' },
        { field: 'allow_uploads' },
      ],
    },
  ],
  contentNames: [{ pulpType: 'python.python', table: 'python_package_content', column: 'filename' }],
};
