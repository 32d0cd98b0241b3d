/* test-window.c — the main window on a real display
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "msc-application.h"
#include "msc-i18n.h"
#include "msc-window.h"

typedef struct {
  MscApplication *app;
  MscWindow      *window;
  char           *tmpdir;
} Fixture;

typedef void (*WindowTestFunc) (Fixture *fixture);

static void
spin_until (gboolean (*done) (gpointer data),
            gpointer   data)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!done (data))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

typedef struct {
  Fixture        fixture;
  WindowTestFunc func;
} WindowTest;

static gboolean
run_when_mapped_cb (gpointer data)
{
  WindowTest *test = data;
  Fixture *fixture = &test->fixture;

  if (!gtk_widget_get_mapped (GTK_WIDGET (fixture->window)))
    return G_SOURCE_CONTINUE;

  /* Held while the test runs, so closing the last window inside a test
   * does not end the application under its feet. */
  g_application_hold (G_APPLICATION (fixture->app));
  test->func (fixture);
  g_application_release (G_APPLICATION (fixture->app));

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (fixture->app)));

  return G_SOURCE_REMOVE;
}

static void
on_activate_cb (GApplication *app,
                WindowTest   *test)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  /* Only the first activation starts the test; a test may activate again. */
  if (test->fixture.window != NULL)
    return;

  g_assert_true (MSC_IS_WINDOW (window));
  test->fixture.window = MSC_WINDOW (window);
  g_timeout_add (10, run_when_mapped_cb, test);
}

/* Runs FUNC inside a real g_application_run(): startup, activate, the
 * window mapped on the display, then quit and shutdown, after which the
 * application must be finalized (a leak check). */
static void
run_window_test (gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  WindowTest test = { .func = (WindowTestFunc) data };
  Fixture *fixture = &test.fixture;

  fixture->tmpdir = g_dir_make_tmp ("mailscope-test-XXXXXX", &error);
  g_assert_no_error (error);

  fixture->app = msc_application_new ();
  /* A developer's own Mailscope may be running on this session bus. */
  g_application_set_flags (G_APPLICATION (fixture->app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (fixture->app, "activate", G_CALLBACK (on_activate_cb), &test);

  g_assert_cmpint (g_application_run (G_APPLICATION (fixture->app), 0, NULL), ==, 0);
  g_assert_finalize_object (fixture->app);

  g_rmdir (fixture->tmpdir);
  g_free (fixture->tmpdir);
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      /* The list keeps the window alive; we only borrow it. */
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) &&
          gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }

  return NULL;
}

static void
collect_labels (GtkWidget *widget,
                GPtrArray *labels)
{
  if (!gtk_widget_get_visible (widget))
    return;

  if (GTK_IS_LABEL (widget))
    g_ptr_array_add (labels, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, labels);
}

static gboolean
has_han (const char *text)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    if (g_unichar_get_script (g_utf8_get_char (p)) == G_UNICODE_SCRIPT_HAN)
      return TRUE;

  return FALSE;
}

/* Renders WIDGET the way GTK would paint it and saves it as a PNG. */
static GdkTexture *
render_widget (GtkWidget  *widget,
               const char *path)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkTexture *texture;

  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);

  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));

  return texture;
}

static void
test_shows_window (Fixture *fixture)
{
  GtkWidget *titlebar = gtk_window_get_titlebar (GTK_WINDOW (fixture->window));
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  gboolean title_shown = FALSE;

  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (fixture->window)), ==, "Mailscope");
  g_assert_true (GTK_IS_HEADER_BAR (titlebar));
  g_assert_true (gtk_widget_get_mapped (titlebar));

  collect_labels (titlebar, labels);
  for (guint i = 0; i < labels->len; i++)
    if (g_strcmp0 (gtk_label_get_label (labels->pdata[i]), "Mailscope") == 0)
      title_shown = TRUE;
  g_assert_true (title_shown);
}

static void
test_actions (Fixture *fixture)
{
  const char *app_actions[] = { "quit", "about", "color-scheme", "zoom-in", "zoom-out", "zoom-reset" };
  const char *win_actions[] = { "show-help-overlay", "show-sidebar", "show-inspector" };

  for (guint i = 0; i < G_N_ELEMENTS (app_actions); i++)
    g_assert_true (g_action_group_has_action (G_ACTION_GROUP (fixture->app), app_actions[i]));
  for (guint i = 0; i < G_N_ELEMENTS (win_actions); i++)
    g_assert_true (g_action_group_has_action (G_ACTION_GROUP (fixture->window), win_actions[i]));
}

static void
test_about (Fixture *fixture)
{
  GtkWindow *about;

  g_assert_null (find_toplevel (GTK_TYPE_ABOUT_DIALOG));
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "about", NULL);
  about = find_toplevel (GTK_TYPE_ABOUT_DIALOG);
  g_assert_nonnull (about);
  spin_until (is_mapped, about);

  g_assert_cmpstr (gtk_about_dialog_get_version (GTK_ABOUT_DIALOG (about)), ==, PACKAGE_VERSION);
  g_assert_cmpint (gtk_about_dialog_get_license_type (GTK_ABOUT_DIALOG (about)), ==, GTK_LICENSE_GPL_3_0);
  g_assert_cmpstr (gtk_about_dialog_get_program_name (GTK_ABOUT_DIALOG (about)), ==, "Mailscope");
  g_assert_true (gtk_window_get_transient_for (about) == GTK_WINDOW (fixture->window));
  gtk_window_destroy (about);
}

static void
test_shortcuts (Fixture *fixture)
{
  GtkShortcutsWindow *overlay = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (fixture->window));
  const char *accels[] = { "app.quit", "app.zoom-in", "app.zoom-out", "app.zoom-reset",
                           "win.show-sidebar", "win.show-inspector", "win.show-help-overlay" };

  g_assert_nonnull (overlay);
  g_action_group_activate_action (G_ACTION_GROUP (fixture->window), "show-help-overlay", NULL);
  spin_until (is_mapped, overlay);

  /* Every action the shortcuts window lists has a key that really fires it. */
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    {
      g_auto(GStrv) keys = gtk_application_get_accels_for_action (GTK_APPLICATION (fixture->app), accels[i]);

      g_assert_nonnull (keys);
      g_assert_nonnull (keys[0]);
    }

  gtk_window_close (GTK_WINDOW (overlay));
}

static void
test_panes (Fixture *fixture)
{
  GtkWidget *sidebar = (GtkWidget *) gtk_widget_get_template_child (GTK_WIDGET (fixture->window), MSC_TYPE_WINDOW, "sidebar");
  GtkWidget *inspector = (GtkWidget *) gtk_widget_get_template_child (GTK_WIDGET (fixture->window), MSC_TYPE_WINDOW, "inspector");

  g_assert_true (gtk_widget_get_visible (sidebar));
  g_assert_true (gtk_widget_get_visible (inspector));

  g_action_group_activate_action (G_ACTION_GROUP (fixture->window), "show-sidebar", NULL);
  g_assert_false (gtk_widget_get_visible (sidebar));
  g_action_group_activate_action (G_ACTION_GROUP (fixture->window), "show-sidebar", NULL);
  g_assert_true (gtk_widget_get_visible (sidebar));

  g_action_group_activate_action (G_ACTION_GROUP (fixture->window), "show-inspector", NULL);
  g_assert_false (gtk_widget_get_visible (inspector));
  g_action_group_activate_action (G_ACTION_GROUP (fixture->window), "show-inspector", NULL);
  g_assert_true (gtk_widget_get_visible (inspector));
}

static void
test_zoom (Fixture *fixture)
{
  GActionGroup *app = G_ACTION_GROUP (fixture->app);

  g_assert_cmpfloat (msc_application_get_text_scale (fixture->app), ==, 1.0);
  g_action_group_activate_action (app, "zoom-in", NULL);
  g_assert_cmpfloat (msc_application_get_text_scale (fixture->app), >, 1.0);

  for (guint i = 0; i < 20; i++)
    g_action_group_activate_action (app, "zoom-in", NULL);
  g_assert_cmpfloat (msc_application_get_text_scale (fixture->app), ==, 2.0);
  g_assert_false (g_action_group_get_action_enabled (app, "zoom-in"));

  g_action_group_activate_action (app, "zoom-reset", NULL);
  g_assert_cmpfloat (msc_application_get_text_scale (fixture->app), ==, 1.0);
  g_action_group_activate_action (app, "zoom-out", NULL);
  g_assert_cmpfloat (msc_application_get_text_scale (fixture->app), <, 1.0);
  g_action_group_activate_action (app, "zoom-reset", NULL);
}

static void
test_remembers_size (Fixture *fixture)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  int width, height;

  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 900, 640);
  gtk_window_close (GTK_WINDOW (fixture->window));

  g_settings_get (settings, "window-size", "(ii)", &width, &height);
  g_assert_cmpint (width, ==, 900);
  g_assert_cmpint (height, ==, 640);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));

  /* A new window opens at the remembered size. */
  g_application_activate (G_APPLICATION (fixture->app));
  fixture->window = MSC_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (fixture->app)));
  gtk_window_get_default_size (GTK_WINDOW (fixture->window), &width, &height);
  g_assert_cmpint (width, ==, 900);
  g_assert_cmpint (height, ==, 640);

  g_settings_reset (settings, "window-size");
}

static void
test_render_not_blank (Fixture *fixture)
{
  g_autofree char *path = g_build_filename (fixture->tmpdir, "window.png", NULL);
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree guint32 *pixels = NULL;
  g_autoptr(GHashTable) colours = g_hash_table_new (NULL, NULL);
  int width, height;

  /* Let layout settle at the window's real size before painting. */
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);

  texture = render_widget (GTK_WIDGET (fixture->window), path);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  pixels = g_new (guint32, width * height);
  gdk_texture_download (texture, (guchar *) pixels, width * 4);

  for (int i = 0; i < width * height; i++)
    g_hash_table_add (colours, GUINT_TO_POINTER (pixels[i]));

  /* Text, icons and three panes give hundreds of colours; a blank or
   * unpainted window gives one or two. */
  g_test_message ("%d×%d, %u distinct colours, saved to %s",
                  width, height, g_hash_table_size (colours), path);
  g_assert_cmpuint (g_hash_table_size (colours), >, 50);

  g_unlink (path);
}

static void
test_chinese (Fixture *fixture)
{
  const char *title = gtk_window_get_title (GTK_WINDOW (fixture->window));
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  g_test_message ("title: %s", title);
  g_assert_true (has_han (title));

  /* Not one English sentence left: every label the window shows that
   * holds Latin words must also hold Chinese. */
  collect_labels (GTK_WIDGET (fixture->window), labels);
  g_assert_cmpuint (labels->len, >, 5);
  for (guint i = 0; i < labels->len; i++)
    {
      const char *text = gtk_label_get_label (labels->pdata[i]);

      if (text[0] != '\0')
        {
          g_test_message ("label: %s", text);
          g_assert_true (has_han (text));
        }
    }
}

static void
test_chinese_subprocess (void)
{
  if (!g_test_subprocess ())
    {
      g_autofree char *language = g_strdup (g_getenv ("LANGUAGE"));

      g_setenv ("LANGUAGE", "zh_CN", TRUE);
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_setenv ("LANGUAGE", language != NULL ? language : "", TRUE);
      g_test_trap_assert_passed ();
      return;
    }

  run_window_test (test_chinese);
}

static void
on_activate_count_cb (GApplication *app,
                      guint        *count)
{
  (*count)++;
}

static void
on_child_exited_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

static gboolean
is_nonzero (gpointer data)
{
  return *(guint *) data > 0;
}

static void
test_single_instance (void)
{
  g_autoptr(MscApplication) app = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GError) error = NULL;
  gboolean exited = FALSE;
  guint activations = 0;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_test_skip ("needs a session bus (the test command runs one)");
      return;
    }

  app = msc_application_new ();
  g_signal_connect (app, "activate", G_CALLBACK (on_activate_count_cb), &activations);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_application_get_is_remote (G_APPLICATION (app)));

  /* Starting the real program a second time hands over to this instance
   * (which is asked to activate) and exits at once. */
  second = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, g_getenv ("MSC_GUI"), NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (second, NULL, on_child_exited_cb, &exited);
  spin_until (is_true, &exited);
  spin_until (is_nonzero, &activations);

  g_assert_true (g_subprocess_get_successful (second));
  g_assert_cmpuint (activations, ==, 1);

  /* The window opens in the first instance, the one that owns the name. */
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))), ==, 1);
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
}

int
main (int   argc,
      char *argv[])
{
  msc_i18n_init ();
  gtk_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add_data_func ("/msc/window/" path, func, run_window_test)

  ADD ("shows", test_shows_window);
  ADD ("actions", test_actions);
  ADD ("about", test_about);
  ADD ("shortcuts", test_shortcuts);
  ADD ("panes", test_panes);
  ADD ("zoom", test_zoom);
  ADD ("remembers-size", test_remembers_size);
  ADD ("render-not-blank", test_render_not_blank);
#undef ADD
  g_test_add_func ("/msc/window/chinese", test_chinese_subprocess);
  g_test_add_func ("/msc/window/single-instance", test_single_instance);

  return g_test_run ();
}
