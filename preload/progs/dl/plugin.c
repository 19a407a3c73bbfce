// SPDX-License-Identifier: MIT
/* plugin.c - sub/libplugin.so, reachable only through libloader's run path. */
int plugin_answer(void)
{
	return 7;
}
