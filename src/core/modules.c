/*
 * modules.c - registers every module's kinds, topics and routes.
 */
#include "core/modules.h"
#include "api/api_modules.h"
#include "api/router_util.h"
#include "auth/apikeys.h"
#include "auth/users.h"
#include "core/settings.h"
#include "routing/service.h"
#include "chat/chat.h"
#include "report/service.h"
#include "sip/sip.h"

int modules_register(void)
{
    static int done, err;
    if (done)
        return err;
    done = 1;
    err = settings_register() | users_register() | apikeys_register() | routing_register() |
          chat_register() | sipsvc_register() | api_system_register() | api_sessions_register() |
          api_users_register() | api_events_register() | api_router_objects_register() |
          api_router_jobs_register() | api_chat_threads_register() | api_chat_stream_register() |
          api_config_objects_register() | api_sip_register() | api_calls_register() |
          api_voicemail_register() | report_register() | api_reports_register();
    return err;
}
