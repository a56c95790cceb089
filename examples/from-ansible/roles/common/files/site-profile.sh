# Installed by the common role.
export HISTTIMEFORMAT='%F %T '
umask 027
