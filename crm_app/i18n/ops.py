"""Operations: the process supervisor of ``crm run``, the single beat, backups."""

ES = {
    # supervisor (crm run)
    "ops.child.started": "Proceso «{name}» arrancado (pid {pid}).",
    "ops.child.exited": "El proceso «{name}» (pid {pid}) terminó {how} tras {uptime:.1f} s; "
                        "se reinicia en {delay:.1f} s (reinicio n.º {restarts}).",
    "ops.child.exit_code": "con código {code}",
    "ops.child.exit_signal": "por la señal {signal} (código {code})",
    "ops.child.spawn_failed": "No se pudo arrancar el proceso «{name}»: {error}; "
                              "se reintenta en {delay:.1f} s.",
    "ops.child.leftovers": "Quedaban procesos del grupo de «{name}» (pid {pid}): se paran.",
    "ops.stopping": "Parando {count} procesos…",
    "ops.stop.forced": "El proceso «{name}» no paró en {grace:.0f} s: se fuerza (SIGKILL).",
    # single beat
    "ops.beat.waiting": "Ya hay otro beat activo para estos datos ({holder}); este espera "
                        "y no programa nada hasta que aquel pare.",
    "ops.beat.active": "Beat activo: este proceso (pid {pid}) es el único que programa tareas.",
    "ops.beat.lost": "Beat: se perdió el bloqueo de Redis ({error}); deja de programar tareas "
                     "y espera a recuperarlo.",
    "ops.beat.holder_file": "bloqueo {path}",
    "ops.beat.holder_redis": "bloqueo de Redis {name}",
    "ops.beat.redis_error": "Beat: Redis no responde ({error}); se reintenta.",
    # backups
    "ops.backup.out_exists": "Ya existe {path}: elige otro nombre o bórralo antes.",
    "ops.backup.pg_dump_missing": "No se encuentra {tool} (cliente de PostgreSQL). Instálalo "
                                  "con: apt-get install postgresql-client",
    "ops.backup.tool_failed": "{tool} falló (código {code}): {stderr}",
    "ops.backup.not_found": "No existe el fichero de copia {path}.",
    "ops.backup.unreadable": "{path} no es una copia de seguridad del CRM legible: {error}",
    "ops.backup.bad_format": "La copia {path} tiene un formato desconocido ({format}).",
    "ops.backup.damaged": "La copia está dañada: {member} no coincide con su suma de control "
                          "del manifiesto.",
    "ops.backup.missing_member": "La copia está incompleta: falta {member}.",
    "ops.backup.unexpected_member": "La copia contiene un elemento no declarado: {member}.",
    "ops.backup.backend_mismatch": "La copia es de una base de datos {source} y la de destino "
                                   "es {target}: restaura en el mismo tipo de base de datos.",
    "ops.backup.not_empty": "El destino no está vacío ({what}). La restauración lo "
                            "sustituiría entero: usa --force para sobrescribirlo.",
    "ops.backup.not_empty_rows": "la base de datos tiene {rows} filas",
    "ops.backup.not_empty_files": "{count} ficheros en {path}",
    "ops.backup.table_differs": "tabla {table}: {rows} filas o contenido distinto "
                                "(esperadas {expected} filas y su suma de control)",
    "ops.backup.revision_differs": "revisión de Alembic {revision} en vez de {expected}",
    "ops.backup.failed": "La copia de seguridad no pudo completarse: {error}",
    "ops.backup.verify_failed": "La restauración no coincide con el manifiesto: {details}",
    "ops.backup.created": "Copia creada en {path} ({size}): {tables} tablas, {rows} filas, "
                          "{files} ficheros.",
    "ops.backup.restored": "Copia del {created_at} restaurada y verificada: {tables} tablas, "
                           "{rows} filas, {files} ficheros (revisión {revision}).",
    "ops.backup.verified": "Copia íntegra: {tables} tablas, {rows} filas, {files} ficheros, "
                           "creada el {created_at} (versión {version}, revisión {revision}).",
    "ops.backup.keep_invalid": "CRM_BACKUP_KEEP debe ser un número entero mayor que 0.",
}
