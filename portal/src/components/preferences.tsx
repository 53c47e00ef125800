import type { ThemeChoice } from "../embed/embed-options.ts";
import { useI18n } from "../i18n/i18n-context.tsx";
import { LANGUAGES } from "../i18n/language.ts";
import { useTheme } from "../theme/theme-context.tsx";

const LANGUAGE_NAMES = { en: "English", fr: "Français" } as const;

/** The language and theme switches (on every page, signed in or not). */
export function Preferences() {
  const { t, language, setLanguage } = useI18n();
  const { choice, setChoice } = useTheme();
  return (
    <div className="preferences">
      <label className="compact-field">
        <span className="visually-hidden">{t("header.language")}</span>
        <select className="input input-small" aria-label={t("header.language")} value={language} onChange={(event) => setLanguage(event.target.value as typeof language)}>
          {LANGUAGES.map((code) => (
            <option key={code} value={code} lang={code}>
              {LANGUAGE_NAMES[code]}
            </option>
          ))}
        </select>
      </label>
      <label className="compact-field">
        <span className="visually-hidden">{t("header.theme")}</span>
        <select className="input input-small" aria-label={t("header.theme")} value={choice} onChange={(event) => setChoice(event.target.value as ThemeChoice)}>
          <option value="light">{t("header.themeLight")}</option>
          <option value="dark">{t("header.themeDark")}</option>
          <option value="auto">{t("header.themeAuto")}</option>
        </select>
      </label>
    </div>
  );
}
