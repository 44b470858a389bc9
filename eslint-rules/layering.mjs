// The project's layers as a lint rule (in the spirit of VS Code's code-layering): every file under
// shared/, main/, preload/ and renderer/ belongs to one layer, and may import only from its own layer
// and from the layers its row lists. Lowest first:
//
//   shared < system < config, history < engine, services < cli, helper, app < main/index.ts
//   renderer and preload: the shared schemas and the IPC contract only
//
// shared/, the contract and the renderer are bundled into the sandboxed preload and the window: they
// must stay Node-free, so they may not import Node built-ins or packages other than those listed.
// Test, bench and build files are outside the layers.
import { isBuiltin } from 'node:module'
import { dirname, relative, resolve } from 'node:path'

const core = ['system', 'config', 'history', 'shared']
/** Order matters only for the message; a file's layer is the row whose `files` match it. */
export const LAYERS = [
  { name: 'shared', files: ['shared/'], may: [], packages: ['zod'] },
  { name: 'system', files: ['main/system/'], may: ['shared'] },
  { name: 'config', files: ['main/config/'], may: ['system', 'shared'] },
  { name: 'history', files: ['main/history/'], may: ['shared'] },
  { name: 'engine', files: ['main/engine/'], may: core },
  { name: 'services', files: ['main/services/'], may: ['system', 'config', 'shared'] },
  // The helper's job line is the wire format between the app (which builds it) and the helper.
  { name: 'helper-job', files: ['main/helper/job'], may: ['system', 'shared'] },
  // The CLI's headless service tells the user's desktop (services/notifications) how its run ended.
  { name: 'cli', files: ['main/cli/', 'main/cli'], may: ['engine', 'services', ...core] },
  { name: 'helper', files: ['main/helper/', 'main/helper'], may: ['engine', 'helper-job', ...core] },
  { name: 'app', files: ['main/app/'], may: ['engine', 'services', 'helper-job', 'contract', ...core] },
  { name: 'electron-main', files: ['main/index'], may: ['app', 'helper', 'helper-job', 'engine', 'services', 'contract', ...core] },
  { name: 'contract', files: ['preload/contract'], may: ['shared'], packages: ['zod'] },
  { name: 'preload', files: ['preload/'], may: ['contract', 'shared'], packages: ['electron'] },
  { name: 'renderer', files: ['renderer/'], may: ['contract', 'shared'], packages: ['react', 'react-dom', 'zod'] },
]
const ORDER = 'shared < system < config, history < engine, services < cli, helper, app'
const LAYERED = ['shared/', 'main/', 'preload/', 'renderer/']

const stripExt = (p) => p.replace(/\.(d\.)?(m|c)?[jt]sx?$/, '')

/** The layer of a project-relative path (without extension), the most specific match winning. */
export function layerOf(path) {
  const p = stripExt(path)
  let best = null
  let bestLength = -1
  for (const layer of LAYERS) {
    for (const f of layer.files) {
      const hit = f.endsWith('/') ? p.startsWith(f) : p === f || p.startsWith(f + '/')
      if (hit && f.length > bestLength) {
        best = layer
        bestLength = f.length
      }
    }
  }
  return best
}

const packageName = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0])

export default {
  meta: {
    type: 'problem',
    docs: { description: 'A layer may import only from its own layer and the layers below it.' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd
    const file = relative(root, context.filename).split('\\').join('/')
    if (!LAYERED.some((d) => file.startsWith(d)) || /\.(html|css)$/.test(file)) return {}
    const layer = layerOf(file)
    if (!layer) {
      return { Program: (node) => context.report({ node, message: `${file} is in no layer: add its folder to LAYERS in eslint-rules/layering.mjs` }) }
    }
    const check = (node, spec) => {
      if (typeof spec !== 'string') return
      if (spec.startsWith('.')) {
        const target = relative(root, resolve(dirname(context.filename), spec)).split('\\').join('/')
        const to = layerOf(target)
        if (to && (to === layer || layer.may.includes(to.name))) return
        const what = to ? `the ${to.name} layer` : 'a file outside the layers'
        context.report({ node, message: `${layer.name} (${file}) may not import ${what} (${spec}). Layers, lowest first: ${ORDER}; the renderer and preload see only shared/ and the contract.` })
        return
      }
      const builtin = spec.startsWith('node:') || isBuiltin(spec)
      if (layer.packages && (builtin || !layer.packages.includes(packageName(spec)))) {
        context.report({ node, message: `${layer.name} (${file}) must stay Node-free and may import only ${layer.packages.join(', ')}, not ${spec}.` })
      }
    }
    const fromSource = (node) => check(node.source ?? node, node.source?.value)
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: (node) => node.source && fromSource(node),
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source.value : undefined),
      TSImportEqualsDeclaration: (node) => node.moduleReference.type === 'TSExternalModuleReference' && check(node, node.moduleReference.expression.value),
    }
  },
}
