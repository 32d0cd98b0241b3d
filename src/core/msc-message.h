/* msc-message.h — one message in a mailbox: bytes, date, UID and flags
 *
 * Copyright 2026 The Mailscope authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The IMAP system flags the store keeps.  \Recent is not here: it belongs
 * to an IMAP session, and the store only keeps the "recent" marker that
 * msc_mail_store_take_recent() hands to the first session that asks. */
typedef enum /*< flags >*/
{
  MSC_MESSAGE_FLAG_NONE     = 0,
  MSC_MESSAGE_FLAG_SEEN     = 1 << 0,
  MSC_MESSAGE_FLAG_ANSWERED = 1 << 1,
  MSC_MESSAGE_FLAG_FLAGGED  = 1 << 2,
  MSC_MESSAGE_FLAG_DELETED  = 1 << 3,
  MSC_MESSAGE_FLAG_DRAFT    = 1 << 4,
} MscMessageFlags;

#define MSC_MESSAGE_FLAGS_ALL 0x1f

/* How msc_mail_store_update_flags() combines new flags with old ones:
 * IMAP's FLAGS, +FLAGS and -FLAGS. */
typedef enum
{
  MSC_FLAGS_MODE_REPLACE,
  MSC_FLAGS_MODE_ADD,
  MSC_FLAGS_MODE_REMOVE,
} MscFlagsMode;

#define MSC_TYPE_MESSAGE_FLAGS (msc_message_flags_get_type ())
#define MSC_TYPE_FLAGS_MODE    (msc_flags_mode_get_type ())
#define MSC_TYPE_MESSAGE       (msc_message_get_type ())

GType msc_message_flags_get_type (void) G_GNUC_CONST;
GType msc_flags_mode_get_type    (void) G_GNUC_CONST;

G_DECLARE_FINAL_TYPE (MscMessage, msc_message, MSC, MESSAGE, GObject)

const char          *msc_message_flag_to_string    (MscMessageFlags   flag);
gboolean             msc_message_flag_from_string  (const char       *text,
                                                    MscMessageFlags  *flag);
gboolean             msc_message_keyword_is_valid  (const char       *keyword);

MscMessage          *msc_message_new               (guint32             uid,
                                                    GBytes             *data,
                                                    GDateTime          *internal_date,
                                                    MscMessageFlags     flags,
                                                    const char * const *keywords);

guint32              msc_message_get_uid           (MscMessage      *self);
GBytes              *msc_message_get_data          (MscMessage      *self);
gsize                msc_message_get_size          (MscMessage      *self);
GDateTime           *msc_message_get_internal_date (MscMessage      *self);
MscMessageFlags      msc_message_get_flags         (MscMessage      *self);
const char * const  *msc_message_get_keywords      (MscMessage      *self);
gboolean             msc_message_has_keyword       (MscMessage      *self,
                                                    const char      *keyword);
gboolean             msc_message_get_recent        (MscMessage      *self);

/* < private >
 * For MscMailStore and its backends only: every other caller changes a
 * message through msc_mail_store_*(), so the change reaches the disk and
 * the signals fire.  (These belong in an msc-message-private.h.) */
char               **_msc_message_normalize_keywords (const char * const *keywords);
gboolean             _msc_message_keywords_equal     (const char * const *a,
                                                      const char * const *b);
void                 _msc_message_set_flags          (MscMessage         *self,
                                                      MscMessageFlags     flags,
                                                      const char * const *keywords);
void                 _msc_message_set_recent         (MscMessage         *self,
                                                      gboolean            recent);

G_END_DECLS
