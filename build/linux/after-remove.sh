# The app's own steps after a real removal (never an upgrade: the guard in front of electron-builder's
# after-remove has already stopped an upgrade), appended to electron-builder's.
if hash gtk-update-icon-cache 2>/dev/null; then
    gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
fi
