/*
 * api_modules.h - each resource family's registration function, called
 * once at start by the server (src/core/server.c).
 */
#ifndef SB_API_MODULES_H
#define SB_API_MODULES_H

int api_system_register(void);
int api_sessions_register(void);
int api_users_register(void);
int api_events_register(void);
int api_chat_threads_register(void);
int api_chat_stream_register(void);
int api_config_objects_register(void);
int api_sip_register(void);
int api_calls_register(void);
int api_voicemail_register(void);
int api_reports_register(void);

#endif
