# The app's own steps after install, appended to electron-builder's after-install (the /usr/bin link to the
# tray app, chrome-sandbox's mode, the AppArmor profile on Ubuntu >= 24.04). The helper, the polkit action
# and the CLI are package files: nothing here creates them, and polkitd sees a new action by itself.
# (The backup-on-plug udev rule and unit, when they exist, get their reloads here.)
if hash gtk-update-icon-cache 2>/dev/null; then
    gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
fi
