# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion, installed where bash-completion.pc says
# (configure --with-bashcompletiondir).
if ENABLE_BASH_COMPLETION
bashcompletion_DATA = completion/gpupool
endif
EXTRA_DIST += completion/gpupool
