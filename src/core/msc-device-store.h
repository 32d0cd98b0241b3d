/* msc-device-store.h — the mail a device (a phone, a laptop, an office PC)
 * keeps locally: folders, messages with the device's own flags, and the
 * list of POP3 unique-ids it has already downloaded
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The folders every device store has; they cannot be deleted.  The names
 * are keys, not UI text: the UI shows them translated. */
#define MSC_DEVICE_STORE_INBOX "Inbox"
#define MSC_DEVICE_STORE_TRASH "Trash"

#define MSC_DEVICE_STORE_ERROR (msc_device_store_error_quark ())

/* None is fatal: the store is unchanged after any error. */
typedef enum
{
  MSC_DEVICE_STORE_ERROR_INVALID_KEY,
  MSC_DEVICE_STORE_ERROR_INVALID_FOLDER_NAME,
  MSC_DEVICE_STORE_ERROR_NO_SUCH_MESSAGE,
  MSC_DEVICE_STORE_ERROR_MESSAGE_EXISTS,
  MSC_DEVICE_STORE_ERROR_NO_SUCH_FOLDER,
  MSC_DEVICE_STORE_ERROR_FOLDER_EXISTS,
  MSC_DEVICE_STORE_ERROR_FOLDER_NOT_EMPTY,
  MSC_DEVICE_STORE_ERROR_CANNOT_DELETE_FOLDER,  /* Inbox and Trash */
} MscDeviceStoreError;

/* The device's own idea of a message.  Nothing here reaches a server by
 * itself: a POP3 client cannot tell the server a message was read; an
 * IMAP client syncs these flags. */
typedef enum /*< flags >*/
{
  MSC_DEVICE_FLAG_NONE    = 0,
  MSC_DEVICE_FLAG_READ    = 1 << 0,
  MSC_DEVICE_FLAG_FLAGGED = 1 << 1,
  MSC_DEVICE_FLAG_DELETED = 1 << 2,  /* deleted on this device: in Trash, or marked */
} MscDeviceFlags;

#define MSC_DEVICE_FLAGS_ALL 0x7

/* What a ::message-changed signal changed. */
typedef enum /*< flags >*/
{
  MSC_DEVICE_CHANGE_NONE   = 0,
  MSC_DEVICE_CHANGE_FLAGS  = 1 << 0,
  MSC_DEVICE_CHANGE_FOLDER = 1 << 1,
  MSC_DEVICE_CHANGE_DATA   = 1 << 2,
} MscDeviceChange;

#define MSC_TYPE_DEVICE_FLAGS   (msc_device_flags_get_type ())
#define MSC_TYPE_DEVICE_CHANGE  (msc_device_change_get_type ())
#define MSC_TYPE_DEVICE_MESSAGE (msc_device_message_get_type ())
#define MSC_TYPE_DEVICE_STORE   (msc_device_store_get_type ())

GType msc_device_flags_get_type   (void) G_GNUC_CONST;
GType msc_device_change_get_type  (void) G_GNUC_CONST;

/* One message on the device: a reference-counted boxed type.  The store
 * owns and changes it; everyone else only reads it.  A reference kept
 * after the message left the store shows it as it was then. */
typedef struct _MscDeviceMessage MscDeviceMessage;

GType             msc_device_message_get_type       (void) G_GNUC_CONST;
MscDeviceMessage *msc_device_message_ref            (MscDeviceMessage *self);
void              msc_device_message_unref          (MscDeviceMessage *self);

/* The server's name for it: the UIDL for POP3, "mailbox/uidvalidity/uid"
 * for IMAP. */
const char       *msc_device_message_get_key        (MscDeviceMessage *self);
const char       *msc_device_message_get_folder     (MscDeviceMessage *self);
/* The bytes as the server sent them: the whole message, or only its
 * header (and perhaps a few lines) when is_complete() is FALSE. */
GBytes           *msc_device_message_get_data       (MscDeviceMessage *self);
gboolean          msc_device_message_is_complete    (MscDeviceMessage *self);
MscDeviceFlags    msc_device_message_get_flags      (MscDeviceMessage *self);
/* When it came to this device, in (virtual) microseconds. */
gint64            msc_device_message_get_downloaded (MscDeviceMessage *self);

G_DECLARE_FINAL_TYPE (MscDeviceStore, msc_device_store, MSC, DEVICE_STORE, GObject)

GQuark            msc_device_store_error_quark      (void);

/* A store with an empty Inbox and an empty Trash. */
MscDeviceStore   *msc_device_store_new              (void);

/* ---- Folders, in the order they were created ---- */

gboolean          msc_device_store_create_folder    (MscDeviceStore    *self,
                                                     const char        *name,
                                                     GError           **error);
/* Only an empty folder other than Inbox and Trash. */
gboolean          msc_device_store_delete_folder    (MscDeviceStore    *self,
                                                     const char        *name,
                                                     GError           **error);
gboolean          msc_device_store_has_folder       (MscDeviceStore    *self,
                                                     const char        *name);
GStrv             msc_device_store_list_folders     (MscDeviceStore    *self);

/* ---- Messages ---- */

/* Stores a message under @key, which must not be on the device yet.
 * @downloaded_usec is the time it arrived; nothing here reads a clock. */
gboolean          msc_device_store_add              (MscDeviceStore    *self,
                                                     const char        *key,
                                                     const char        *folder,
                                                     GBytes            *data,
                                                     gboolean           complete,
                                                     MscDeviceFlags     flags,
                                                     gint64             downloaded_usec,
                                                     GError           **error);
/* Borrowed; valid while the message is on the device (take a reference
 * to keep it longer).  NULL when there is none. */
MscDeviceMessage *msc_device_store_lookup           (MscDeviceStore    *self,
                                                     const char        *key);
/* The messages of @folder in the order they arrived on the device (a move
 * keeps that order), as new references; NULL if no such folder. */
GPtrArray        *msc_device_store_list_folder      (MscDeviceStore    *self,
                                                     const char        *folder);
/* In @folder, or on the whole device when @folder is NULL. */
guint             msc_device_store_get_n_messages   (MscDeviceStore    *self,
                                                     const char        *folder);

/* Replaces the bytes: the full message after a headers-only preview. */
gboolean          msc_device_store_set_data         (MscDeviceStore    *self,
                                                     const char        *key,
                                                     GBytes            *data,
                                                     gboolean           complete,
                                                     GError           **error);
gboolean          msc_device_store_set_flags        (MscDeviceStore    *self,
                                                     const char        *key,
                                                     MscDeviceFlags     flags,
                                                     GError           **error);
gboolean          msc_device_store_mark_read        (MscDeviceStore    *self,
                                                     const char        *key,
                                                     gboolean           read,
                                                     GError           **error);
gboolean          msc_device_store_mark_flagged     (MscDeviceStore    *self,
                                                     const char        *key,
                                                     gboolean           flagged,
                                                     GError           **error);
/* Moving into Trash marks the message deleted; moving it out of Trash
 * restores it, as in every mail app. */
gboolean          msc_device_store_move             (MscDeviceStore    *self,
                                                     const char        *key,
                                                     const char        *folder,
                                                     GError           **error);
/* What the Delete key does in a mail app: a message goes to Trash, marked
 * deleted; a message already in Trash is removed for good. */
gboolean          msc_device_store_delete_locally   (MscDeviceStore    *self,
                                                     const char        *key,
                                                     GError           **error);
/* Removes the local copy, wherever it is.  The seen record is kept. */
gboolean          msc_device_store_remove           (MscDeviceStore    *self,
                                                     const char        *key,
                                                     GError           **error);

/* ---- What POP3 has downloaded ----
 *
 * The unique-ids (UIDLs) this device has already fetched, each with the
 * time it first did, kept after the local copy is deleted: that is how a
 * POP3 mail app leaves mail on the server without downloading it twice,
 * and how it knows the age of a message for "delete from the server after
 * N days".  A client forgets a key once the server no longer has it. */

/* Records @key as downloaded at @downloaded_usec; a key already recorded
 * keeps its first time.  Returns TRUE if the record changed. */
gboolean          msc_device_store_mark_seen        (MscDeviceStore    *self,
                                                     const char        *key,
                                                     gint64             downloaded_usec);
gboolean          msc_device_store_has_seen         (MscDeviceStore    *self,
                                                     const char        *key,
                                                     gint64            *out_downloaded_usec);
gboolean          msc_device_store_forget_seen      (MscDeviceStore    *self,
                                                     const char        *key);
/* Oldest first; keys seen at the same time in ascending byte order. */
GStrv             msc_device_store_list_seen        (MscDeviceStore    *self);

/* ---- What IMAP has synchronised ----
 *
 * Per server mailbox, by its name in UTF-8 ("INBOX" for the inbox): the
 * UIDVALIDITY its local copies belong to and the highest UID this device
 * has fetched from it.  An IMAP client asks the server only for what lies
 * above that UID, and drops its copies of a mailbox whose UIDVALIDITY
 * changed (RFC 3501 §2.3.1.1).  @uidvalidity is never 0 (nz-number). */

/* Returns TRUE if the record changed. */
gboolean          msc_device_store_set_mailbox_state    (MscDeviceStore *self,
                                                         const char     *mailbox,
                                                         guint32         uidvalidity,
                                                         guint32         highest_uid);
/* FALSE, with both set to 0, when nothing is recorded for @mailbox. */
gboolean          msc_device_store_get_mailbox_state    (MscDeviceStore *self,
                                                         const char     *mailbox,
                                                         guint32        *out_uidvalidity,
                                                         guint32        *out_highest_uid);
gboolean          msc_device_store_forget_mailbox_state (MscDeviceStore *self,
                                                         const char     *mailbox);
/* The mailboxes with a record, in ascending byte order. */
GStrv             msc_device_store_list_mailbox_states  (MscDeviceStore *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MscDeviceMessage, msc_device_message_unref)

G_END_DECLS
