import { createRoot } from 'react-dom/client'
import { API_KEY, type BackupApi } from '../../preload/contract'
import { App } from './App'
import './styles.css'

const api = (window as unknown as Record<string, BackupApi | undefined>)[API_KEY]
const root = document.getElementById('root')
if (root && api) createRoot(root).render(<App api={api} />)
