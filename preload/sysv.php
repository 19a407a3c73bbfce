<?php
// SPDX-License-Identifier: MIT
// sysv.php - PHP's sysvmsg, sysvsem and sysvshm extensions (which PHP
// loads with dlopen(RTLD_DEEPBIND)), for preload/test-php.sh: run on the
// kernel and under uipc-run, the output must be the same.  Prints nothing
// that depends on ids, pids or times.  Where the objects live is written
// to the file $K (ipcs, and uipcs when $U names it), not to the output.
//
//   php sysv.php KEY

$key = intval($argv[1] ?? "5a5a20", 16);
$kfile = getenv("K");
$uipcs = getenv("U");

function where($what)
{
	global $kfile, $uipcs;
	if (!$kfile)
		return;
	$line = "$what: kernel " . trim(shell_exec("ipcs -a | grep -c '^0x'"));
	if ($uipcs)
		$line .= ", uipc " . trim(shell_exec("$uipcs -a | grep -c '^0x'"));
	file_put_contents($kfile, "$line\n", FILE_APPEND);
}

function show($label, $v)
{
	echo $label, ": ", var_export($v, true), "\n";
}

// ---- messages: types, serialization, errors ------------------------------
show("queue exists before", msg_queue_exists($key));
$q = msg_get_queue($key, 0600);
show("queue exists after", msg_queue_exists($key));
show("send 3 (serialized array)", msg_send($q, 3, ["a" => 1, "b" => [2, 3.5], "c" => null]));
show("send 1 (plain string)", msg_send($q, 1, "plain text", false));
show("send 2 (serialized object)", msg_send($q, 2, (object)["x" => "y"]));
show("send 5 (int, serialized)", msg_send($q, 5, 42));
$st = msg_stat_queue($q);
show("qnum", $st["msg_qnum"]);
show("qbytes", $st["msg_qbytes"]);
show("perm.mode", $st["msg_perm.mode"]);
show("lspid is me", $st["msg_lspid"] == getmypid());
show("receive type 2", [msg_receive($q, 2, $t, 1024, $m), $t, $m]);
show("receive type <= 3", [msg_receive($q, -3, $t, 1024, $m, false), $t, $m]);
show("receive any", [msg_receive($q, 0, $t, 1024, $m), $t, $m]);
show("receive too small", [msg_receive($q, 0, $t, 4, $m, true, 0, $e), $e]);
show("receive too small, MSG_NOERROR",
     [msg_receive($q, 0, $t, 4, $m, false, MSG_NOERROR), $t, $m]);
show("receive nowait on empty",
     [msg_receive($q, 0, $t, 1024, $m, true, MSG_IPC_NOWAIT, $e), $e]);
show("set qbytes", msg_set_queue($q, ["msg_qbytes" => 4096]));
show("qbytes now", msg_stat_queue($q)["msg_qbytes"]);
show("send too big for the queue, nowait",
     [@msg_send($q, 1, str_repeat("x", 5000), false, false, $e), $e]);

// ---- shared memory variables ----------------------------------------------
$shm = shm_attach($key, 20000, 0600);
show("put 1", shm_put_var($shm, 1, ["list" => range(1, 5), "s" => "str"]));
show("put 2", shm_put_var($shm, 2, 3.25));
show("has 1", shm_has_var($shm, 1));
show("has 3", shm_has_var($shm, 3));
show("get 1", shm_get_var($shm, 1));
show("remove 2", shm_remove_var($shm, 2));
show("has 2", shm_has_var($shm, 2));

// ---- semaphores: auto_release, a forked child ------------------------------
$sem = sem_get($key, 1, 0600, true);
where("all three made");
show("acquire", sem_acquire($sem));
$pid = pcntl_fork();
if ($pid == 0) {
	// the child: the set is taken, so nowait fails
	$q = msg_get_queue($key);
	$r = sem_acquire($sem, true);
	msg_send($q, 10, "child nowait acquire: " . var_export($r, true));
	// then blocks until the parent releases
	msg_send($q, 11, "child blocking");
	$r = sem_acquire($sem);
	// write a variable for the parent, and exit holding the semaphore:
	// auto_release gives it back
	$shm = shm_attach($key);
	shm_put_var($shm, 3, "from the child, acquired: " . var_export($r, true));
	exit(0);
}
msg_receive($q, 10, $t, 1024, $m);
echo $m, "\n";
msg_receive($q, 11, $t, 1024, $m);
echo $m, "\n";
// (the child is about to block, or blocked: either way it waits for us)
show("release", sem_release($sem));
pcntl_waitpid($pid, $status);
show("child exit", pcntl_wexitstatus($status));
show("child's variable", shm_get_var($shm, 3));
show("acquire after the child's exit (auto_release)", sem_acquire($sem, true));
show("release", sem_release($sem));
show("release again", @sem_release($sem));

// ---- removal ---------------------------------------------------------------
show("sem_remove", sem_remove($sem));
show("shm_remove", shm_remove($shm));
show("shm_detach", shm_detach($shm));
show("msg_remove_queue", msg_remove_queue($q));
show("queue exists at the end", msg_queue_exists($key));
where("all removed");
