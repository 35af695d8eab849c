/**
 * Linda's own bot texts, in ICU MessageFormat, one catalog per language. English is the
 * reference: every other catalog has exactly its keys (the type says so).
 */
export const en = {
  'help.header': 'Commands:',
  'help.line': '{prefix}{usage} — {summary}',
  'help.detail': '{prefix}{usage}\n{summary}',
  'help.unknown': 'There is no command {prefix}{name}. Send {prefix}help for the list.',
  'command.unknown':
    "I don't know the command {prefix}{name}.{suggestion, select, none {} other { Did you mean {prefix}{suggestion}?}} Send {prefix}help to see what I can do.",
  'command.denied':
    "Only this account's {permission, select, admin {admins} other {team}} can use {prefix}{name}. Send {prefix}help to see what you can do.",
  'command.failed': 'Sorry, {prefix}{name} failed. Please try again later.',
  'command.usage': 'Usage: {prefix}{usage}',
  'command.help.summary': 'List the commands, or explain one',
  'command.ping.summary': 'Check that the bot is listening',
  'command.lang.summary': 'Choose the language I answer in',
  'command.report.summary': 'Report a problem to the team (coming soon)',
  'command.status.summary': "This account's state, and how many accounts are connected",
  'command.accounts.summary': 'List every account and its state',
  'command.add-account.summary':
    'Link another number as a WhatsApp Web account; answers with its pairing code',
  'command.remove-account.summary':
    'Remove the WhatsApp Web account of a number (its history is kept)',
  'ping.reply': 'pong ({ms} ms)',
  'lang.set': 'From now on I will answer in English.',
  'lang.unknown': 'I cannot answer in "{code}". Choose one of: {languages}.',
  'report.unavailable':
    'Reports from WhatsApp are not available yet, so nothing was filed. Please describe the problem in a normal message and a person from the team will read it.',
  'optout.confirmed':
    'You will not receive messages from us any more. Send START to receive them again.',
  'optin.confirmed': 'Welcome back: you will receive our messages again. Send STOP to stop them.',
  'accounts.connected': '{connected} of {total} accounts connected.',
  'accounts.none': 'There are no accounts.',
  'accounts.created.code':
    'Account "{name}" created. On {phone}, open WhatsApp → Linked devices → Link with phone number, and enter {code}',
  'accounts.created.state': 'Account "{name}" created; it is {state}.',
  'accounts.unknownNumber': 'No account has the number {phone}.',
  'accounts.removeSelf': 'An account cannot remove itself from WhatsApp.',
  'accounts.removed': 'Account "{name}" ({phone}) removed; its history is kept.',
} as const

export type MessageKey = keyof typeof en
export type Catalog = Record<MessageKey, string>

export const es: Catalog = {
  'help.header': 'Comandos:',
  'help.line': '{prefix}{usage} — {summary}',
  'help.detail': '{prefix}{usage}\n{summary}',
  'help.unknown': 'No existe el comando {prefix}{name}. Envía {prefix}help para ver la lista.',
  'command.unknown':
    'No conozco el comando {prefix}{name}.{suggestion, select, none {} other { ¿Quisiste decir {prefix}{suggestion}?}} Envía {prefix}help para ver lo que puedo hacer.',
  'command.denied':
    'Solo {permission, select, admin {los administradores} other {el equipo}} de esta cuenta pueden usar {prefix}{name}. Envía {prefix}help para ver lo que puedes hacer.',
  'command.failed': 'Lo siento, {prefix}{name} falló. Inténtalo de nuevo más tarde.',
  'command.usage': 'Uso: {prefix}{usage}',
  'command.help.summary': 'Lista los comandos o explica uno',
  'command.ping.summary': 'Comprueba que el bot está escuchando',
  'command.lang.summary': 'Elige el idioma en el que respondo',
  'command.report.summary': 'Informa de un problema al equipo (próximamente)',
  'command.status.summary': 'El estado de esta cuenta y cuántas cuentas están conectadas',
  'command.accounts.summary': 'Lista todas las cuentas y su estado',
  'command.add-account.summary':
    'Vincula otro número como cuenta de WhatsApp Web; responde con su código de vinculación',
  'command.remove-account.summary':
    'Elimina la cuenta de WhatsApp Web de un número (se conserva su historial)',
  'ping.reply': 'pong ({ms} ms)',
  'lang.set': 'A partir de ahora te responderé en español.',
  'lang.unknown': 'No puedo responder en "{code}". Elige uno de: {languages}.',
  'report.unavailable':
    'Los informes desde WhatsApp aún no están disponibles, así que no se ha registrado nada. Describe el problema en un mensaje normal y una persona del equipo lo leerá.',
  'optout.confirmed':
    'Ya no recibirás más mensajes nuestros. Envía START para volver a recibirlos.',
  'optin.confirmed':
    'Bienvenido de nuevo: volverás a recibir nuestros mensajes. Envía BAJA para dejar de recibirlos.',
  'accounts.connected': '{connected} de {total} cuentas conectadas.',
  'accounts.none': 'No hay cuentas.',
  'accounts.created.code':
    'Cuenta "{name}" creada. En {phone}, abre WhatsApp → Dispositivos vinculados → Vincular con el número de teléfono, e introduce {code}',
  'accounts.created.state': 'Cuenta "{name}" creada; está {state}.',
  'accounts.unknownNumber': 'Ninguna cuenta tiene el número {phone}.',
  'accounts.removeSelf': 'Una cuenta no puede eliminarse a sí misma desde WhatsApp.',
  'accounts.removed': 'Cuenta "{name}" ({phone}) eliminada; se conserva su historial.',
}

export const fr: Catalog = {
  'help.header': 'Commandes :',
  'help.line': '{prefix}{usage} — {summary}',
  'help.detail': '{prefix}{usage}\n{summary}',
  'help.unknown': "La commande {prefix}{name} n'existe pas. Envoyez {prefix}help pour la liste.",
  'command.unknown':
    'Je ne connais pas la commande {prefix}{name}.{suggestion, select, none {} other { Vouliez-vous dire {prefix}{suggestion} ?}} Envoyez {prefix}help pour voir ce que je sais faire.',
  'command.denied':
    "Seuls {permission, select, admin {les administrateurs} other {les membres de l'équipe}} de ce compte peuvent utiliser {prefix}{name}. Envoyez {prefix}help pour voir ce que vous pouvez faire.",
  'command.failed': 'Désolé, {prefix}{name} a échoué. Réessayez plus tard.',
  'command.usage': 'Utilisation : {prefix}{usage}',
  'command.help.summary': 'Liste les commandes, ou en explique une',
  'command.ping.summary': 'Vérifie que le bot écoute',
  'command.lang.summary': 'Choisit la langue dans laquelle je réponds',
  'command.report.summary': "Signale un problème à l'équipe (bientôt disponible)",
  'command.status.summary': "L'état de ce compte, et combien de comptes sont connectés",
  'command.accounts.summary': 'Liste tous les comptes et leur état',
  'command.add-account.summary':
    "Associe un autre numéro comme compte WhatsApp Web ; répond avec son code d'association",
  'command.remove-account.summary':
    "Supprime le compte WhatsApp Web d'un numéro (son historique est conservé)",
  'ping.reply': 'pong ({ms} ms)',
  'lang.set': 'Désormais, je vous répondrai en français.',
  'lang.unknown': 'Je ne peux pas répondre en « {code} ». Choisissez parmi : {languages}.',
  'report.unavailable':
    "Les signalements depuis WhatsApp ne sont pas encore disponibles : rien n'a été enregistré. Décrivez le problème dans un message normal et une personne de l'équipe le lira.",
  'optout.confirmed':
    'Vous ne recevrez plus nos messages. Envoyez START pour les recevoir à nouveau.',
  'optin.confirmed':
    'Bon retour : vous recevrez à nouveau nos messages. Envoyez ARRÊT pour les arrêter.',
  'accounts.connected': '{connected} comptes connectés sur {total}.',
  'accounts.none': "Il n'y a aucun compte.",
  'accounts.created.code':
    'Compte « {name} » créé. Sur {phone}, ouvrez WhatsApp → Appareils connectés → Connecter avec le numéro de téléphone, et saisissez {code}',
  'accounts.created.state': 'Compte « {name} » créé ; il est {state}.',
  'accounts.unknownNumber': "Aucun compte n'a le numéro {phone}.",
  'accounts.removeSelf': 'Un compte ne peut pas se supprimer lui-même depuis WhatsApp.',
  'accounts.removed': 'Compte « {name} » ({phone}) supprimé ; son historique est conservé.',
}

export const pt: Catalog = {
  'help.header': 'Comandos:',
  'help.line': '{prefix}{usage} — {summary}',
  'help.detail': '{prefix}{usage}\n{summary}',
  'help.unknown': 'O comando {prefix}{name} não existe. Envie {prefix}help para ver a lista.',
  'command.unknown':
    'Não conheço o comando {prefix}{name}.{suggestion, select, none {} other { Você quis dizer {prefix}{suggestion}?}} Envie {prefix}help para ver o que posso fazer.',
  'command.denied':
    'Só {permission, select, admin {os administradores} other {a equipe}} desta conta podem usar {prefix}{name}. Envie {prefix}help para ver o que você pode fazer.',
  'command.failed': 'Desculpe, {prefix}{name} falhou. Tente novamente mais tarde.',
  'command.usage': 'Uso: {prefix}{usage}',
  'command.help.summary': 'Lista os comandos ou explica um',
  'command.ping.summary': 'Verifica se o bot está ouvindo',
  'command.lang.summary': 'Escolhe o idioma em que eu respondo',
  'command.report.summary': 'Relata um problema à equipe (em breve)',
  'command.status.summary': 'O estado desta conta e quantas contas estão conectadas',
  'command.accounts.summary': 'Lista todas as contas e o seu estado',
  'command.add-account.summary':
    'Vincula outro número como conta do WhatsApp Web; responde com o código de pareamento',
  'command.remove-account.summary':
    'Remove a conta do WhatsApp Web de um número (o histórico é mantido)',
  'ping.reply': 'pong ({ms} ms)',
  'lang.set': 'A partir de agora vou responder em português.',
  'lang.unknown': 'Não posso responder em "{code}". Escolha um de: {languages}.',
  'report.unavailable':
    'Os relatos pelo WhatsApp ainda não estão disponíveis, então nada foi registrado. Descreva o problema numa mensagem normal e uma pessoa da equipe vai lê-la.',
  'optout.confirmed':
    'Você não receberá mais mensagens nossas. Envie START para voltar a recebê-las.',
  'optin.confirmed':
    'Bem-vindo de volta: você voltará a receber nossas mensagens. Envie STOP para pará-las.',
  'accounts.connected': '{connected} de {total} contas conectadas.',
  'accounts.none': 'Não há contas.',
  'accounts.created.code':
    'Conta "{name}" criada. Em {phone}, abra o WhatsApp → Aparelhos conectados → Conectar com número de telefone, e digite {code}',
  'accounts.created.state': 'Conta "{name}" criada; está {state}.',
  'accounts.unknownNumber': 'Nenhuma conta tem o número {phone}.',
  'accounts.removeSelf': 'Uma conta não pode remover a si mesma pelo WhatsApp.',
  'accounts.removed': 'Conta "{name}" ({phone}) removida; o histórico é mantido.',
}

export const ar: Catalog = {
  'help.header': 'الأوامر:',
  'help.line': '{prefix}{usage} — {summary}',
  'help.detail': '{prefix}{usage}\n{summary}',
  'help.unknown': 'لا يوجد أمر {prefix}{name}. أرسل {prefix}help لعرض القائمة.',
  'command.unknown':
    'لا أعرف الأمر {prefix}{name}.{suggestion, select, none {} other { هل تقصد {prefix}{suggestion}؟}} أرسل {prefix}help لترى ما يمكنني فعله.',
  'command.denied':
    'لا يستخدم {prefix}{name} إلا {permission, select, admin {مشرفو} other {فريق}} هذا الحساب. أرسل {prefix}help لترى ما يمكنك فعله.',
  'command.failed': 'عذرًا، فشل {prefix}{name}. حاول مرة أخرى لاحقًا.',
  'command.usage': 'الاستخدام: {prefix}{usage}',
  'command.help.summary': 'يعرض الأوامر أو يشرح أحدها',
  'command.ping.summary': 'يتحقق من أن الروبوت يستمع',
  'command.lang.summary': 'يختار اللغة التي أرد بها',
  'command.report.summary': 'يبلغ الفريق عن مشكلة (قريبًا)',
  'command.status.summary': 'حالة هذا الحساب وعدد الحسابات المتصلة',
  'command.accounts.summary': 'يعرض كل الحسابات وحالاتها',
  'command.add-account.summary': 'يربط رقمًا آخر كحساب واتساب ويب ويرد برمز الربط',
  'command.remove-account.summary': 'يحذف حساب واتساب ويب لرقم ما (مع الاحتفاظ بسجله)',
  'ping.reply': 'pong ({ms} مللي ثانية)',
  'lang.set': 'من الآن سأرد عليك بالعربية.',
  'lang.unknown': 'لا أستطيع الرد بـ "{code}". اختر إحدى: {languages}.',
  'report.unavailable':
    'الإبلاغ عبر واتساب غير متاح بعد، لذلك لم يُسجَّل شيء. صف المشكلة في رسالة عادية وسيقرؤها أحد أعضاء الفريق.',
  'optout.confirmed': 'لن تصلك رسائلنا بعد الآن. أرسل START لتلقيها من جديد.',
  'optin.confirmed': 'مرحبًا بعودتك: ستصلك رسائلنا من جديد. أرسل توقف لإيقافها.',
  'accounts.connected': '{connected} من {total} حسابات متصلة.',
  'accounts.none': 'لا توجد حسابات.',
  'accounts.created.code':
    'تم إنشاء الحساب "{name}". على {phone}، افتح واتساب ← الأجهزة المرتبطة ← الربط برقم الهاتف، وأدخل {code}',
  'accounts.created.state': 'تم إنشاء الحساب "{name}"؛ حالته {state}.',
  'accounts.unknownNumber': 'لا يوجد حساب بالرقم {phone}.',
  'accounts.removeSelf': 'لا يمكن للحساب حذف نفسه من واتساب.',
  'accounts.removed': 'تم حذف الحساب "{name}" ({phone})؛ مع الاحتفاظ بسجله.',
}
