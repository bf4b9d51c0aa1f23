/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Crash-safe replacement of state files, and the lock around changes. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/txfile.h"

static char *dir;

static void
setup(void)
{
    dir = g_dir_make_tmp("gp-txfile-XXXXXX", NULL);
    cr_assert_not_null(dir);
}

static void
teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);

    cr_assert_eq(system(cmd), 0);
    g_free(dir);
}

TestSuite(txfile, .init = setup, .fini = teardown);

static guint
entries(void)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;

    while (g_dir_read_name(d))
        n++;
    return n;
}

Test(txfile, replace_leaves_the_new_contents_with_the_mode_and_no_temporary_file)
{
    g_autofree char *path = g_build_filename(dir, "claims.xml", NULL);
    g_autofree char *got = NULL;
    struct stat st;

    cr_assert(gp_txfile_replace(path, "<claims/>\n", -1, 0644, NULL));
    cr_assert(gp_txfile_replace(path, "<claims>new</claims>\n", -1, 0640, NULL));
    cr_assert(g_file_get_contents(path, &got, NULL, NULL));
    cr_assert_str_eq(got, "<claims>new</claims>\n");
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0640);
    cr_assert_eq(entries(), 1);
}

/* More pieces than one writev() takes, of many sizes, empty ones among
 * them: the file holds them all, in order. */
Test(txfile, replace_in_pieces_writes_every_piece_in_order)
{
    g_autofree char *path = g_build_filename(dir, "claims.xml", NULL);
    g_autoptr(GString) want = g_string_new(NULL);
    g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
    g_autofree GpTxPiece *pieces = g_new(GpTxPiece, 2500);
    g_autofree char *got = NULL;
    gsize len = 0;

    for (guint i = 0; i < 2500; i++) {
        char *text = g_strnfill(i % 7 == 0 ? 0 : i % 97, (char)('a' + i % 26));

        g_ptr_array_add(texts, text);
        pieces[i] = (GpTxPiece){ text, strlen(text) };
        g_string_append(want, text);
    }
    cr_assert(gp_txfile_replace_pieces(path, pieces, 2500, 0644, NULL));
    cr_assert(g_file_get_contents(path, &got, &len, NULL));
    cr_assert_eq(len, want->len);
    cr_assert_str_eq(got, want->str);
    cr_assert_eq(entries(), 1);
}

Test(txfile, a_failed_replace_keeps_the_old_file_and_names_the_directory)
{
    g_autofree char *path = g_build_filename(dir, "missing", "pool.xml", NULL);
    g_autoptr(GError) error = NULL;

    cr_assert_not(gp_txfile_replace(path, "x", -1, 0644, &error));
    cr_assert(g_error_matches(error, GP_TXFILE_ERROR, ENOENT));
    cr_assert(strstr(error->message, "missing"), "%s", error->message);
}

Test(txfile, leftovers_of_a_killed_replace_are_removed_and_nothing_else)
{
    const char *const leftovers[] = { ".claims.xml.Ab3dE9", ".gpus.xml.000000", ".x.y.zzzzzz" };
    const char *const kept[] = { "claims.xml", ".hidden", ".gpus.xml.Ab3dE", ".gpus.xml.Ab3d-9",
                                 "gpus.xml.Ab3dE9", "..Ab3dE9" };
    g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *subdir = g_build_filename(dir, ".sub.xml.Ab3dE9", NULL);

    for (guint i = 0; i < G_N_ELEMENTS(leftovers); i++) {
        g_autofree char *path = g_build_filename(dir, leftovers[i], NULL);

        cr_assert(g_file_set_contents(path, "<half", -1, NULL));
    }
    for (guint i = 0; i < G_N_ELEMENTS(kept); i++) {
        g_autofree char *path = g_build_filename(dir, kept[i], NULL);

        cr_assert(g_file_set_contents(path, "x", -1, NULL));
    }
    cr_assert_eq(mkdir(subdir, 0755), 0);
    cr_assert_eq(gp_txfile_remove_leftovers(dir, removed), G_N_ELEMENTS(leftovers));
    cr_assert_eq(removed->len, G_N_ELEMENTS(leftovers));
    cr_assert_eq(entries(), G_N_ELEMENTS(kept) + 1);
    cr_assert_eq(gp_txfile_remove_leftovers("/nonexistent/gpupool", NULL), 0);
}

Test(txfile, ensure_dir_creates_parents_and_accepts_an_existing_one)
{
    g_autofree char *sub = g_build_filename(dir, "a", "b", NULL);

    cr_assert(gp_txfile_ensure_dir(sub, 0755, NULL));
    cr_assert(gp_txfile_ensure_dir(sub, 0755, NULL));
    cr_assert(g_file_test(sub, G_FILE_TEST_IS_DIR));
}

static gboolean
lock_is_free(const char *path)
{
    int fd = open(path, O_RDWR);
    gboolean free_now;

    cr_assert_geq(fd, 0);
    free_now = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd);
    return free_now;
}

Test(txfile, the_lock_excludes_others_until_released)
{
    g_autofree char *path = g_build_filename(dir, "lock", NULL);
    g_autoptr(GpLock) lock = gp_lock_acquire(path, NULL);

    cr_assert_not_null(lock);
    cr_assert_not(lock_is_free(path));
    g_clear_pointer(&lock, gp_lock_release);
    cr_assert(lock_is_free(path));
}

Test(txfile, the_lock_of_a_holder_that_dies_is_released_by_the_kernel)
{
    g_autofree char *path = g_build_filename(dir, "lock", NULL);
    int ready[2];
    char c;
    pid_t pid;

    cr_assert_eq(pipe(ready), 0);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        GpLock *lock = gp_lock_acquire(path, NULL);

        if (!lock || write(ready[1], "x", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    cr_assert_eq(read(ready[0], &c, 1), 1);
    cr_assert_not(lock_is_free(path));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    cr_assert(lock_is_free(path));
}
