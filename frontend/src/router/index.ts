import { createRouter, createWebHistory } from 'vue-router'

declare module 'vue-router' {
  interface RouteMeta {
    /** i18n key of the page title (App.vue writes it into document.title). */
    titleKey: string
  }
}

/** The studio's routes; views load on demand (route-level code splitting). A new page adds one entry here. */
export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes: [
    { path: '/', redirect: { name: 'text-transformation' } },
    {
      path: '/text-transformation',
      name: 'text-transformation',
      component: () => import('@/views/TextTransformationView.vue'),
      meta: { titleKey: 'text.title' },
    },
    {
      path: '/image-transformation',
      name: 'image-transformation',
      component: () => import('@/views/ImageTransformationView.vue'),
      meta: { titleKey: 'image.title' },
    },
    {
      path: '/models',
      name: 'models',
      component: () => import('@/views/ModelsView.vue'),
      meta: { titleKey: 'models.title' },
    },
    {
      path: '/meine-bilder',
      name: 'gallery',
      component: () => import('@/views/GalleryView.vue'),
      meta: { titleKey: 'gallery.title' },
    },
    {
      path: '/meine-bilder/vergleich/:a/:b',
      name: 'compare',
      component: () => import('@/views/CompareView.vue'),
      props: true,
      meta: { titleKey: 'compare.title' },
    },
    {
      path: '/meine-bilder/:runId',
      name: 'run',
      component: () => import('@/views/RunDetailView.vue'),
      props: true,
      meta: { titleKey: 'run.title' },
    },
    {
      path: '/lehrkraft',
      name: 'teacher',
      component: () => import('@/views/TeacherView.vue'),
      meta: { titleKey: 'teacher.title' },
    },
    {
      path: '/:pathMatch(.*)*',
      name: 'not-found',
      component: () => import('@/views/NotFoundView.vue'),
      meta: { titleKey: 'notFound.title' },
    },
  ],
})
