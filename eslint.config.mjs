import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import layering from './eslint-rules/layering.mjs'

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
    plugins: { project: { rules: { layering } } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [{ name: 'child_process', message: 'Run commands through main/system/runner.ts.' }] }],
      'project/layering': ['error', { root: import.meta.dirname }],
    },
  },
)
